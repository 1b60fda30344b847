"""Sensor devices: wire codecs, transports (serial, BLE, replay) and recording.

Nothing in :mod:`eccentric_sense.pipeline` imports this package.
"""
