"""Runs a program where memfd_create fails with EPERM, as under a seccomp profile that
forbids it (some container runtimes' do): a seccomp filter installed with prctl, then exec.

    python3 without_memfd.py PROGRAM [ARGUMENT...]

Exits 77 (skip) on an architecture it does not know the system call's number for.
"""

import ctypes
import errno
import os
import platform
import struct
import sys

# (AUDIT_ARCH_*, __NR_memfd_create) per machine.
ARCHITECTURES = {
    "x86_64": (0xC000003E, 319),
    "aarch64": (0xC00000B7, 279),
}

BPF_LD_W_ABS = 0x20
BPF_JMP_JEQ_K = 0x15
BPF_RET_K = 0x06
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


def instruction(code, jump_true, jump_false, k):
    return struct.pack("HBBI", code, jump_true, jump_false, k)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: without_memfd.py PROGRAM [ARGUMENT...]")
    known = ARCHITECTURES.get(platform.machine())
    if known is None:
        print(f"without_memfd.py: no system call table for {platform.machine()}", file=sys.stderr)
        sys.exit(77)
    arch, memfd_create = known
    program = b"".join([
        instruction(BPF_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        instruction(BPF_JMP_JEQ_K, 0, 3, arch),  # another ABI: allowed
        instruction(BPF_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        instruction(BPF_JMP_JEQ_K, 0, 1, memfd_create),
        instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),
        instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
    ])
    filters = ctypes.create_string_buffer(program)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(program) // 8, ctypes.addressof(filters))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        sys.exit(f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(ctypes.get_errno())}")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        sys.exit(f"prctl(PR_SET_SECCOMP): {os.strerror(ctypes.get_errno())}")
    os.execvp(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
