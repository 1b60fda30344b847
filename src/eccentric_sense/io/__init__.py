"""Reading and writing recordings."""

from .canonical import RecordingWriter, read_recording, write_recording

__all__ = ["read_recording", "write_recording", "RecordingWriter"]
