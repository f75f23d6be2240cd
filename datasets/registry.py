"""The PhysioNet databases ecgcore knows, as data.

Each :class:`DatabaseInfo` says where the database lives on PhysioNet, its full
official record list (or, when the list is defined by an index file, how many
records the release has), sampling rate, annotation files, licence and how to
cite it. :data:`DATABASES` is the registry; :func:`database_info` looks a name
up (aliases such as ``ptbxl`` or ``challenge-2017`` work too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "DATABASES",
    "LAYOUTS",
    "PHYSIONET_CITATION",
    "DatabaseInfo",
    "database_info",
]

PHYSIONET_CITATION: Final = (
    "Goldberger AL, Amaral LAN, Glass L, Hausdorff JM, Ivanov PCh, Mark RG, Mietus JE, "
    "Moody GB, Peng C-K, Stanley HE. PhysioBank, PhysioToolkit, and PhysioNet. "
    "Circulation 101(23):e215-e220, 2000."
)
ODC_BY: Final = "ODC-By 1.0"


def _flat(record: str) -> str:
    return record


def _ludb(record: str) -> str:
    return f"data/{record}"


def _ptbxl(record: str) -> str:
    group = (int(record) // 1000) * 1000
    return f"records500/{group:05d}/{record}_hr"


#: How a record name maps to its path (without extension) inside the database folder.
LAYOUTS: Final[MappingProxyType[str, Callable[[str], str]]] = MappingProxyType(
    {"flat": _flat, "ludb": _ludb, "ptbxl": _ptbxl}
)


@dataclass(frozen=True)
class DatabaseInfo:
    """What ecgcore knows about one PhysioNet database.

    Attributes
    ----------
    name : str
        Registry name (``ecg datasets list`` shows it).
    title : str
        Full database title.
    slug, version : str
        PhysioNet project slug and release (``physionet.org/content/<slug>/<version>``).
    folder : str
        Folder name under the data root.
    fs : float
        Sampling rate in Hz.
    n_leads : int
        Signals per record.
    record_format : {"wfdb", "cinc2011"}
        ``wfdb`` (header + signal files) or the CinC 2011 CSV text format.
    annotation_extensions : tuple of str
        Annotation files per record; the first is the reference read by
        :meth:`Database.load`.
    beat_reference : bool
        The reference annotations label every beat (usable for QRS scoring).
    rhythm_reference : bool
        The reference annotations carry rhythm changes in aux notes.
    records : tuple of str or None
        The full official record list; None when the release defines it by
        an index file (``index_file``) or not at all.
    expected_count : int
        Number of records in the full release.
    layout : str
        Key of :data:`LAYOUTS` mapping a record name to its relative path.
    labels_file : str or None
        CSV ``record,label`` with one label per record (CinC challenges).
    index_file : str or None
        CSV listing the records when ``records`` is None (PTB-XL).
    paced_records : tuple of str
        Records with paced beats (left out of EC57 VEB/SVEB statistics).
    download : {"wfdb", "archive"}
        ``wfdb``: ``wfdb.dl_database`` fetches it; ``archive``: the release is
        a zip to download and unpack by hand (``archive_url``).
    """

    name: str
    title: str
    slug: str
    version: str
    folder: str
    fs: float
    n_leads: int
    licence: str
    citation: str
    expected_count: int
    records: tuple[str, ...] | None = None
    record_format: Literal["wfdb", "cinc2011"] = "wfdb"
    annotation_extensions: tuple[str, ...] = ("atr",)
    beat_reference: bool = True
    rhythm_reference: bool = False
    layout: str = "flat"
    labels_file: str | None = None
    index_file: str | None = None
    paced_records: tuple[str, ...] = ()
    download: Literal["wfdb", "archive"] = "wfdb"
    archive_url: str | None = None
    extra_files: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    notes: str = ""

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"{self.name}: unknown layout {self.layout!r}")
        if self.records is not None and len(self.records) != self.expected_count:
            raise ValueError(
                f"{self.name}: {len(self.records)} records listed, expected {self.expected_count}"
            )

    @property
    def url(self) -> str:
        """PhysioNet landing page of this release."""
        return f"https://physionet.org/content/{self.slug}/{self.version}/"

    def record_path(self, record: str) -> str:
        """Path of ``record`` (no extension) relative to the database folder."""
        return LAYOUTS[self.layout](record)

    @property
    def reference_extension(self) -> str | None:
        """The annotation file read as reference (None: no annotations)."""
        return self.annotation_extensions[0] if self.annotation_extensions else None


def _names(*groups: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(r) for g in groups for r in g)


_MITDB = _names(
    range(100, 110),
    range(111, 120),
    range(121, 125),
    (200, 201, 202, 203, 205, 207, 208, 209, 210, 212, 213, 214, 215, 217, 219),
    (220, 221, 222, 223, 228, 230, 231, 232, 233, 234),
)
_NSTDB = (
    *(f"{base}e{snr}" for base in ("118", "119") for snr in ("_6", "00", "06", "12", "18", "24")),
    "bw",
    "em",
    "ma",
)
_VFDB = _names(range(418, 431), (602, 605, 607, 609, 610, 611, 612, 614, 615))
_AFDB = [
    "04015",
    "04043",
    "04048",
    "04126",
    "04746",
    "04908",
    "04936",
    "05091",
    "05121",
    "05261",
    "06426",
    "06453",
    "06995",
    "07162",
    "07859",
    "07879",
    "07910",
    "08215",
    "08219",
    "08378",
    "08405",
    "08434",
    "08455",
]
_LTAFDB = [
    "00",
    "01",
    "03",
    "05",
    "06",
    "07",
    "08",
    "10",
    "100",
    "101",
    "102",
    "103",
    "104",
    "105",
    "11",
    "110",
    "111",
    "112",
    "113",
    "114",
    "115",
    "116",
    "117",
    "118",
    "119",
    "12",
    "120",
    "121",
    "122",
    "13",
    "15",
    "16",
    "17",
    "18",
    "19",
    "20",
    "200",
    "201",
    "202",
    "203",
    "204",
    "205",
    "206",
    "207",
    "208",
    "21",
    "22",
    "23",
    "24",
    "25",
    "26",
    "28",
    "30",
    "32",
    "33",
    "34",
    "35",
    "37",
    "38",
    "39",
    "42",
    "43",
    "44",
    "45",
    "47",
    "48",
    "49",
    "51",
    "53",
    "54",
    "55",
    "56",
    "58",
    "60",
    "62",
    "64",
    "65",
    "68",
    "69",
    "70",
    "71",
    "72",
    "74",
    "75",
]
_NSRDB = [
    "16265",
    "16272",
    "16273",
    "16420",
    "16483",
    "16539",
    "16773",
    "16786",
    "16795",
    "17052",
    "17453",
    "18177",
    "18184",
    "19088",
    "19090",
    "19093",
    "19140",
    "19830",
]
_SVDB = _names(range(800, 813), range(820, 830), range(840, 895))
_INCARTDB = tuple(f"I{k:02d}" for k in range(1, 76))
_CUDB = tuple(f"cu{k:02d}" for k in range(1, 36))
_QTDB = [
    "sel100",
    "sel102",
    "sel103",
    "sel104",
    "sel114",
    "sel116",
    "sel117",
    "sel123",
    "sel14046",
    "sel14157",
    "sel14172",
    "sel15814",
    "sel16265",
    "sel16272",
    "sel16273",
    "sel16420",
    "sel16483",
    "sel16539",
    "sel16773",
    "sel16786",
    "sel16795",
    "sel17152",
    "sel17453",
    "sel213",
    "sel221",
    "sel223",
    "sel230",
    "sel231",
    "sel232",
    "sel233",
    "sel30",
    "sel301",
    "sel302",
    "sel306",
    "sel307",
    "sel308",
    "sel31",
    "sel310",
    "sel32",
    "sel33",
    "sel34",
    "sel35",
    "sel36",
    "sel37",
    "sel38",
    "sel39",
    "sel40",
    "sel41",
    "sel42",
    "sel43",
    "sel44",
    "sel45",
    "sel46",
    "sel47",
    "sel48",
    "sel49",
    "sel50",
    "sel51",
    "sel52",
    "sel803",
    "sel808",
    "sel811",
    "sel820",
    "sel821",
    "sel840",
    "sel847",
    "sel853",
    "sel871",
    "sel872",
    "sel873",
    "sel883",
    "sel891",
    "sele0104",
    "sele0106",
    "sele0107",
    "sele0110",
    "sele0111",
    "sele0112",
    "sele0114",
    "sele0116",
    "sele0121",
    "sele0122",
    "sele0124",
    "sele0126",
    "sele0129",
    "sele0133",
    "sele0136",
    "sele0166",
    "sele0170",
    "sele0203",
    "sele0210",
    "sele0211",
    "sele0303",
    "sele0405",
    "sele0406",
    "sele0409",
    "sele0411",
    "sele0509",
    "sele0603",
    "sele0604",
    "sele0606",
    "sele0607",
    "sele0609",
    "sele0612",
    "sele0704",
]
_EDB = [
    "e0103",
    "e0104",
    "e0105",
    "e0106",
    "e0107",
    "e0108",
    "e0110",
    "e0111",
    "e0112",
    "e0113",
    "e0114",
    "e0115",
    "e0116",
    "e0118",
    "e0119",
    "e0121",
    "e0122",
    "e0123",
    "e0124",
    "e0125",
    "e0126",
    "e0127",
    "e0129",
    "e0133",
    "e0136",
    "e0139",
    "e0147",
    "e0148",
    "e0151",
    "e0154",
    "e0155",
    "e0159",
    "e0161",
    "e0162",
    "e0163",
    "e0166",
    "e0170",
    "e0202",
    "e0203",
    "e0204",
    "e0205",
    "e0206",
    "e0207",
    "e0208",
    "e0210",
    "e0211",
    "e0212",
    "e0213",
    "e0302",
    "e0303",
    "e0304",
    "e0305",
    "e0306",
    "e0403",
    "e0404",
    "e0405",
    "e0406",
    "e0408",
    "e0409",
    "e0410",
    "e0411",
    "e0413",
    "e0415",
    "e0417",
    "e0418",
    "e0501",
    "e0509",
    "e0515",
    "e0601",
    "e0602",
    "e0603",
    "e0604",
    "e0605",
    "e0606",
    "e0607",
    "e0609",
    "e0610",
    "e0611",
    "e0612",
    "e0613",
    "e0614",
    "e0615",
    "e0704",
    "e0801",
    "e0808",
    "e0817",
    "e0818",
    "e1301",
    "e1302",
    "e1304",
]
_LUDB_LEADS = ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6")

_ENTRIES = (
    DatabaseInfo(
        name="mitdb",
        title="MIT-BIH Arrhythmia Database",
        slug="mitdb",
        version="1.0.0",
        folder="mitdb",
        fs=360.0,
        n_leads=2,
        licence=ODC_BY,
        citation="Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. "
        "IEEE Eng in Med and Biol 20(3):45-50, 2001.",
        records=_MITDB,
        expected_count=48,
        rhythm_reference=True,
        paced_records=("102", "104", "107", "217"),
    ),
    DatabaseInfo(
        name="nstdb",
        title="MIT-BIH Noise Stress Test Database",
        slug="nstdb",
        version="1.0.0",
        folder="nstdb",
        fs=360.0,
        n_leads=2,
        licence=ODC_BY,
        citation="Moody GB, Muldrow WE, Mark RG. A noise stress test for arrhythmia "
        "detectors. Computers in Cardiology 11:381-384, 1984.",
        records=_NSTDB,
        expected_count=15,
        notes="bw, em, ma are noise records (no annotations); the others are mitdb 118 and "
        "119 with electrode-motion noise at the SNR in their name (e_6 = -6 dB), "
        "switched on from minute 5 in alternating 2-minute blocks.",
    ),
    DatabaseInfo(
        name="vfdb",
        title="MIT-BIH Malignant Ventricular Ectopy Database",
        slug="vfdb",
        version="1.0.0",
        folder="vfdb",
        fs=250.0,
        n_leads=2,
        licence=ODC_BY,
        citation="Greenwald SD. The development and analysis of a ventricular fibrillation "
        "detector. M.S. thesis, MIT Dept. of Electrical Engineering and Computer Science, 1986.",
        records=_VFDB,
        expected_count=22,
        beat_reference=False,
        rhythm_reference=True,
    ),
    DatabaseInfo(
        name="afdb",
        title="MIT-BIH Atrial Fibrillation Database",
        slug="afdb",
        version="1.0.0",
        folder="afdb",
        fs=250.0,
        n_leads=2,
        licence=ODC_BY,
        citation="Moody GB, Mark RG. A new method for detecting atrial fibrillation using "
        "R-R intervals. Computers in Cardiology 10:227-230, 1983.",
        records=tuple(_AFDB),
        expected_count=23,
        annotation_extensions=("atr", "qrs"),
        beat_reference=False,
        rhythm_reference=True,
        notes="Records 00735 and 03665 have rhythm annotations but no signals and are not "
        "listed; .qrs beat labels are unaudited detector output, not a reference.",
    ),
    DatabaseInfo(
        name="ltafdb",
        title="Long Term AF Database",
        slug="ltafdb",
        version="1.0.0",
        folder="ltafdb",
        fs=128.0,
        n_leads=2,
        licence=ODC_BY,
        citation="Petrutiu S, Sahakian AV, Swiryn S. Abrupt changes in fibrillatory wave "
        "characteristics at the termination of paroxysmal atrial fibrillation in humans. "
        "Europace 9:466-470, 2007.",
        records=tuple(_LTAFDB),
        expected_count=84,
        annotation_extensions=("atr", "qrs"),
        rhythm_reference=True,
    ),
    DatabaseInfo(
        name="nsrdb",
        title="MIT-BIH Normal Sinus Rhythm Database",
        slug="nsrdb",
        version="1.0.0",
        folder="nsrdb",
        fs=128.0,
        n_leads=2,
        licence=ODC_BY,
        citation=PHYSIONET_CITATION,
        records=tuple(_NSRDB),
        expected_count=18,
    ),
    DatabaseInfo(
        name="svdb",
        title="MIT-BIH Supraventricular Arrhythmia Database",
        slug="svdb",
        version="1.0.0",
        folder="svdb",
        fs=128.0,
        n_leads=2,
        licence=ODC_BY,
        citation="Greenwald SD, Patil RS, Mark RG. Improved detection and classification of "
        "arrhythmias in noise-corrupted electrocardiograms using contextual information. "
        "Computers in Cardiology 17:461-464, 1990.",
        records=_SVDB,
        expected_count=78,
        rhythm_reference=True,
    ),
    DatabaseInfo(
        name="incartdb",
        title="St Petersburg INCART 12-lead Arrhythmia Database",
        slug="incartdb",
        version="1.0.0",
        folder="incartdb",
        fs=257.0,
        n_leads=12,
        licence=ODC_BY,
        citation="Tihonenko V, Khaustov A, Ivanov S, Rivin A, Yakushenko E. St Petersburg "
        "INCART 12-lead Arrhythmia Database. PhysioNet, 2008. doi:10.13026/C2V88N.",
        records=_INCARTDB,
        expected_count=75,
    ),
    DatabaseInfo(
        name="cudb",
        title="CU Ventricular Tachyarrhythmia Database",
        slug="cudb",
        version="1.0.0",
        folder="cudb",
        fs=250.0,
        n_leads=1,
        licence=ODC_BY,
        citation="Nolle FM, Badura FK, Catlett JM, Bowser RW, Sketch MH. CREI-GARD, a new "
        "concept in computerized arrhythmia monitoring systems. Computers in Cardiology "
        "13:515-518, 1986.",
        records=_CUDB,
        expected_count=35,
        beat_reference=False,
        rhythm_reference=True,
        notes="Reference annotations mark VF onsets/ends ([ ]) and noise, not every beat.",
    ),
    DatabaseInfo(
        name="qtdb",
        title="QT Database",
        slug="qtdb",
        version="1.0.0",
        folder="qtdb",
        fs=250.0,
        n_leads=2,
        licence=ODC_BY,
        citation="Laguna P, Mark RG, Goldberger AL, Moody GB. A database for evaluation of "
        "algorithms for measurement of QT and other waveform intervals in the ECG. "
        "Computers in Cardiology 24:673-676, 1997.",
        records=tuple(_QTDB),
        expected_count=105,
        annotation_extensions=("atr", "q1c", "q2c", "pu", "pu0", "pu1"),
        notes="Beat labels (.atr) exist only for records taken from databases that had them; "
        ".q1c/.q2c are manual waveform boundaries on selected beats.",
    ),
    DatabaseInfo(
        name="edb",
        title="European ST-T Database",
        slug="edb",
        version="1.0.0",
        folder="edb",
        fs=250.0,
        n_leads=2,
        licence=ODC_BY,
        citation="Taddei A, Distante G, Emdin M, Pisani P, Moody GB, Zeelenberg C, Marchesi C. "
        "The European ST-T Database: standard for evaluating systems for the analysis of "
        "ST-T changes in ambulatory electrocardiography. Eur Heart J 13:1164-1172, 1992.",
        records=tuple(_EDB),
        expected_count=90,
        rhythm_reference=True,
    ),
    DatabaseInfo(
        name="ludb",
        title="Lobachevsky University Electrocardiography Database",
        slug="ludb",
        version="1.0.1",
        folder="ludb",
        fs=500.0,
        n_leads=12,
        licence=ODC_BY,
        citation="Kalyakulina AI, Yusipov II, Moskalenko VA, Nikolskiy AV, Kosonogov KA, "
        "Osipov GV, Zolotykh NY, Ivanchenko MV. LUDB: a new open-access validation tool for "
        "electrocardiogram delineation algorithms. IEEE Access 8:186181-186190, 2020.",
        records=_names(range(1, 201)),
        expected_count=200,
        annotation_extensions=("ii", *(x for x in _LUDB_LEADS if x != "ii")),
        layout="ludb",
        extra_files=("ludb.csv",),
        notes="One annotation file per lead (P, QRS, T onset/peak/offset); the QRS peaks "
        "(symbol N) of lead II are the beat reference. Diagnoses in ludb.csv.",
    ),
    DatabaseInfo(
        name="ptb-xl",
        title="PTB-XL, a large publicly available electrocardiography dataset",
        slug="ptb-xl",
        version="1.0.3",
        folder="ptbxl",
        fs=500.0,
        n_leads=12,
        licence="CC BY 4.0",
        citation="Wagner P, Strodthoff N, Bousseljot R-D, Kreiseler D, Lunze FI, Samek W, "
        "Schaeffter T. PTB-XL, a large publicly available electrocardiography dataset. "
        "Scientific Data 7:154, 2020.",
        expected_count=21799,
        annotation_extensions=(),
        beat_reference=False,
        layout="ptbxl",
        index_file="ptbxl_database.csv",
        extra_files=("ptbxl_database.csv", "scp_statements.csv"),
        aliases=("ptbxl",),
        notes="Records are named by ecg_id (e.g. 00001) and read from records500/ (500 Hz); "
        "labels (SCP-ECG statements) are in ptbxl_database.csv.",
    ),
    DatabaseInfo(
        name="cinc2011",
        title="Improving the Quality of ECGs Collected using Mobile Phones "
        "(PhysioNet/CinC Challenge 2011), set-a",
        slug="challenge-2011",
        version="1.0.0",
        folder="cinc2011",
        fs=500.0,
        n_leads=12,
        licence=ODC_BY,
        citation="Silva I, Moody GB, Celi L. Improving the quality of ECGs collected using "
        "mobile phones: the PhysioNet/Computing in Cardiology Challenge 2011. "
        "Computing in Cardiology 38:273-276, 2011.",
        expected_count=1000,
        record_format="cinc2011",
        annotation_extensions=(),
        beat_reference=False,
        labels_file="REFERENCE.csv",
        download="archive",
        archive_url="https://physionet.org/content/challenge-2011/1.0.0/",
        aliases=("challenge-2011",),
        notes="Set-a: 1000 10-s 12-lead records as CSV text; REFERENCE.csv grades each "
        "record acceptable/unacceptable.",
    ),
    DatabaseInfo(
        name="cinc2017",
        title="AF Classification from a Short Single Lead ECG Recording "
        "(PhysioNet/CinC Challenge 2017), training set",
        slug="challenge-2017",
        version="1.0.0",
        folder="cinc2017",
        fs=300.0,
        n_leads=1,
        licence=ODC_BY,
        citation="Clifford GD, Liu C, Moody B, Lehman LH, Silva I, Li Q, Johnson AE, Mark RG. "
        "AF classification from a short single lead ECG recording: the PhysioNet/Computing "
        "in Cardiology Challenge 2017. Computing in Cardiology 44, 2017.",
        records=tuple(f"A{k:05d}" for k in range(1, 8529)),
        expected_count=8528,
        annotation_extensions=(),
        beat_reference=False,
        labels_file="REFERENCE.csv",
        download="archive",
        archive_url="https://physionet.org/content/challenge-2017/1.0.0/",
        aliases=("challenge-2017",),
        notes="Labels in REFERENCE.csv: N normal, A AF, O other rhythm, ~ noisy.",
    ),
)

#: Registry of known databases by name.
DATABASES: Final[MappingProxyType[str, DatabaseInfo]] = MappingProxyType(
    {d.name: d for d in _ENTRIES}
)
_ALIASES: Final = MappingProxyType(
    {alias: d.name for d in _ENTRIES for alias in (d.name, d.slug, *d.aliases)}
)


def database_info(name: str) -> DatabaseInfo:
    """Look a database up by name, PhysioNet slug or alias (case-insensitive).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.
    """
    key = _ALIASES.get(name.strip().lower())
    if key is None:
        raise ValueError(f"unknown database {name!r}; known databases: {', '.join(DATABASES)}")
    return DATABASES[key]
