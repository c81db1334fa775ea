#!/usr/bin/env python3
"""peak_rss.py CMD [ARG...] - run CMD with its output discarded; print its exit status
and its peak resident set size in KB (getrusage of the one child), as "STATUS KB"."""
import resource
import subprocess
import sys

status = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(status, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
