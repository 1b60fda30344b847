"""Signal processing: from a :class:`~eccentric_sense.Recording` to vertical
bar kinematics and rep segments.

Pure functions and small algorithm classes over NumPy arrays.  This package
never imports devices, Bluetooth, serial or plotting code.
"""
