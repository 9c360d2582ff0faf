"""SHA-256 of each piece of a file, in a process of its own: `python piecehash.py FD < bounds`.

In the build's own process, the hashing threads take the GIL back after every piece, and while
the main thread imports and reads the other inputs each of those waits lasts up to the switch
interval: a thousand pieces then took 0.3 s instead of 0.1 s. Here nothing else holds the GIL.
This file uses the standard library only, so it starts with `python -I -S` in ~10 ms.
"""

import hashlib
import mmap
import os
import sys
from concurrent.futures import ThreadPoolExecutor


def main() -> None:
    fd = int(sys.argv[1])
    bounds = [tuple(map(int, line.split())) for line in sys.stdin.read().split("\n") if line]
    size = os.fstat(fd).st_size
    view = memoryview(mmap.mmap(fd, size, prot=mmap.PROT_READ)) if size else memoryview(b"")
    with ThreadPoolExecutor(max_workers=2) as pool:
        digests = list(pool.map(lambda b: hashlib.sha256(view[b[0]:b[1]]).hexdigest()[:32], bounds))
    sys.stdout.write("\n".join(digests) + "\n")


if __name__ == "__main__":
    main()
