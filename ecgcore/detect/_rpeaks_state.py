"""Layout of the streaming R-peak detector's state: indices, capacities, record dtype.

Shared by the hot loop (:mod:`ecgcore.detect._rpeaks_numba`), the decision
rules (:mod:`ecgcore.detect._rpeaks_rules_numba`) and the Python layer
(:mod:`ecgcore.detect.rpeaks`), which fills the parameters.
"""

from __future__ import annotations

import numpy as np

# parameters (float64 vector filled by rpeaks._parameters); (i) internal samples,
# (f) full-rate samples
P_D = 0  # decimation factor
P_W = 1  # moving-average window (i)
P_K = 2  # derivative lag (i)
P_PREBLANK = 3  # pre-blanking interval (i)
P_PEAK_TIMEOUT = 4  # a hump ends this long after its maximum (i)
P_BLS_WIN = 5  # baseline-shift check window ending at the feature peak (i)
P_BLS_PAIR = 6  # largest distance of the +/- slope pair of a QRS (i)
P_TWAVE = 7  # T-wave check interval after a QRS (f)
P_TWAVE_RATIO = 8  # slope ratio under which a candidate near a QRS is a T-wave
P_TH = 9  # threshold position between the noise and QRS levels
P_DELAY = 10  # candidate position -> QRS centre (f)
P_REFINE_BEFORE = 11  # extreme search starts this long before the QRS centre (f)
P_REFINE_AFTER = 12  # extreme search ends this long after the QRS centre (f)
P_FLOOR = 13  # smallest feature peak considered (mV)
P_SB_FACTOR = 14  # search-back threshold factor
P_REFRACT = 15  # refractory period (f)
P_LEARN = 16  # learning period after the first candidate (f)
P_RR_INIT = 17  # initial RR interval (f)
P_RR_MAX = 18  # longest RR interval used for the search-back interval (f)
P_SB_MIN_GAP = 19  # search-back candidates start this long after a QRS (f)
P_BASE_SPAN = 20  # isoelectric level from +/- this around the QRS centre (f)
P_LEARN_BIN = 21  # learning: one initial QRS level per bin of this length (f)
P_PREBLANK_STRONG = 22  # pre-blanking of a candidate already above the strong level (i)
P_STRONG = 23  # strong level's position between the noise and QRS levels
P_STRONG_SLOPE = 24  # least slope of a strong candidate, relative to the last QRS's
P_STRONG_EARLY = 25  # a strong candidate is at most this much earlier than the median RR (f)
P_RING_SIZE = 26  # samples in use of each internal-rate ring (a power of two, <= RING_CAP)
P_RAW_SIZE = 27  # samples in use of the full-rate ring (a power of two, <= RAW_CAP)
N_PARAMS = 28

# integer state
I_N = 0  # absolute index of the next input sample
I_NOW = 1  # newest sample available to the decision rules
I_NPEAKS = 2  # confirmed peaks waiting in ``peaks`` (moved to the caller's output)
I_RESTART = 3  # 1 while there is no signal (start, gap)
I_SEG_START = 4  # first sample of the current finite segment
I_VALID_BLOCKS = 5  # complete finite blocks since the segment started
I_BLOCK_BAD = 6  # 1 if the current block has a missing or pre-segment sample
I_FIRST_OUT = 7  # 1 when the next internal sample restarts the band-pass
I_PK_POS = 8  # position of the running hump maximum
I_PK_TIME = 9  # internal samples since the hump maximum (0: no hump)
I_HOLD_AT = 10  # sample at which the held candidate was held (-1: none held)
I_HOLD_POS = 11  # position of the held candidate
I_LAST_QRS = 12  # position of the last QRS candidate (-1: none yet)
I_SB_REF = 13  # search-back reference: last QRS or end of the last gap (-1: none)
I_LAST_EMIT = 14  # last emitted peak
I_NCAND = 15  # kept candidates (learning queue, then search-back)
I_LEARNING = 16  # 1 while the initial levels are being learned
I_LEARN_END = 17  # end of learning, -1 until the first candidate
I_RR_VALID = 18  # 1 when the next QRS may add an RR interval
I_NQRS = 19  # QRS peaks seen (median buffer count)
I_NNOISE = 20  # noise peaks seen
I_NRR = 21  # RR intervals seen
I_NEXT_EVENT = 22  # next sample at which a timer (release, learning, search-back) is due
I_EMIT_POS = 23  # position of a hump that ended when a timer was due
I_HOLD_END = 24  # sample at which the held candidate is released
I_SLOPE_POS = 25  # candidate whose slope features F_SLOPE_* hold (-1: none)
N_ISTATE = 26

# float state
F_CUR = 0  # decimator: weighted sum of the current block
F_NXT = 1  # decimator: the current block's share of the next output
F_CARRY = 2  # decimator: the previous block's share of the current output
F_SUM = 3  # running sum of |d| over the window
F_M_LAST = 4  # previous feature value
F_PK_MAX = 5  # running hump maximum
F_HOLD_VAL = 6  # held candidate: feature peak
F_QRS_LEVEL = 7  # median of the last 8 QRS peaks
F_NOISE_LEVEL = 8  # median of the last 8 noise peaks (0 until the first)
F_THRESH = 9  # detection threshold
F_LASTMAX = 10  # largest |d| of the last QRS
F_SB_INTERVAL = 11  # search-back interval (f)
F_EMIT_VAL = 12  # feature peak of the hump that just ended
F_RR_MEDIAN = 13  # median of the last 8 RR intervals (f; 0 until the first)
F_SLOPE_DER = 14  # largest |d| of candidate I_SLOPE_POS
F_SLOPE_BLS = 15  # baseline-shift flag of candidate I_SLOPE_POS
N_FSTATE = 16

# candidate columns
C_POS = 0
C_VAL = 1
C_DER = 2
C_BLS = 3
N_CCOLS = 4

# median buffers (rows of ``bufs``), 8 entries each
B_QRS = 0
B_NOISE = 1
B_RR = 2
N_BUFS = 3
NBUF = 8

N_SECTIONS = 2  # second-order sections of the band-pass (a 4th-order band-pass at most)
SB_FACTOR_MIN = 1e-3  # search-back stops halving its threshold factor here

# internal-rate rings (rows of ``rings``)
R_Y = 0
R_D = 1
N_RINGS = 2

# capacities of the state record: the same for every fs, so that one record
# type serves all rates (the rings use their first P_RING_SIZE / P_RAW_SIZE
# samples; the kernel itself is compiled once per decimation factor)
DEC_CAP = 20  # decimation factor at most fs / 100 Hz for fs <= 2000 Hz
RING_CAP = 1 << 9  # 2 s at 200 Hz plus the moving-average window and derivative lag
RAW_CAP = 1 << 15  # 10 s (learning plus 2 s) at 2000 Hz
CAND_CAP = 64  # kept candidates (learning queue, search-back)
# peaks confirmed by one event or by the end of the stream: each accepted QRS is a
# kept or queued candidate or the candidate being decided (fewer than 2 CAND_CAP + 2)
PEAK_CAP = 4 * CAND_CAP

# The whole state is one NumPy record (scalars as vectors, buffers as fixed-size
# subarrays). A record passes between compiled functions as one pointer with no
# reference counting, where a tuple of arrays costs two atomic operations per
# array and call, which dominated the decision rules' time.
STATE_DTYPE = np.dtype(
    [
        ("par", np.float64, (N_PARAMS,)),
        ("ist", np.int64, (N_ISTATE,)),
        ("fst", np.float64, (N_FSTATE,)),
        ("sos", np.float64, (N_SECTIONS, 6)),  # band-pass at the internal rate
        ("zi", np.float64, (N_SECTIONS, 2)),  # its state (scipy layout)
        ("zi_unit", np.float64, (N_SECTIONS, 2)),  # its steady state for a unit input
        ("cand", np.float64, (CAND_CAP, N_CCOLS)),
        ("queue", np.float64, (CAND_CAP, N_CCOLS)),  # learning queue being decided
        ("bufs", np.float64, (N_BUFS, NBUF)),
        ("peaks", np.int64, (PEAK_CAP,)),
        ("rings", np.float64, (N_RINGS, RING_CAP)),
        ("raw", np.float64, (RAW_CAP,)),
    ]
)
