"""Speech recognition for dictations: one interface, an offline Vosk default and a transformers Whisper backend."""
