"""The ``ecg`` command line: thin faces over the library's functions."""
