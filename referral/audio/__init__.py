"""Dictation audio: what a recording really is (by decoding it), and its speech in bounded chunks."""
