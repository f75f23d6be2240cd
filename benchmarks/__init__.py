"""Benchmarks: EC57 scoring, peer detectors, runners and reports.

* :mod:`ecgcore.benchmarks.ec57` - beat-by-beat comparison (``bxb`` rules)
* :mod:`ecgcore.benchmarks.episodes` - AF/VF episode comparison (``epicmp`` rules)
* :mod:`ecgcore.benchmarks.aami` - AAMI beat classes and MIT-BIH rhythm labels

Peer libraries (neurokit2, sleepecg, wfdb's XQRS) are imported lazily, only
when a benchmark asks for them.
"""
