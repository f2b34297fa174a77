"""A local stand-in for AWS Elemental MediaConvert, for offline tests: the same documents, run by ffmpeg.

moto has no MediaConvert, and a stub that agrees with everything would prove nothing. This
executor runs the job the workflow submits, merged with the job template exactly as
synthesized (``merge.py``), with ffmpeg (``transcoder.py``), and refuses any setting it
does not know how to honour, so a setting added to ``stacks/config/mediaconvert.py`` is
either taught here or fails the tests. ``probe.py`` answers ``Probe`` from ffprobe, in
MediaConvert's response shape.

What it cannot tell: how MediaConvert's own encoder spends bits (QVBR is approximated by
x264's CRF with the same peak), MediaConvert's exact file names inside a title's
directory, and its rounding of odd sizes; docs/testing.md lists the differences.
"""
