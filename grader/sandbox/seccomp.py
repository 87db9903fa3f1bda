"""The seccomp filter every sandboxed process runs under, built with libseccomp (``pyseccomp``).

bubblewrap installs it (``--seccomp FD``) just before it starts the runner, so it binds the
runner, the student code and every process they start, and it cannot be removed. The
namespaces already hide the host; the filter takes away the kernel interfaces a student
program never needs and an escape would: debugging other processes (``ptrace``, reading or
writing their memory, stealing their descriptors), new namespaces and mounts, BPF, perf,
the kernel keyring, io_uring, kernel modules, clocks and reboots.
"""

from __future__ import annotations

import errno
import tempfile

#: Syscalls refused with EPERM. Those an older kernel does not know are skipped.
BLOCKED = (
    # other processes: debugging, memory, descriptors
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
    # namespaces, mounts and the root
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "mount_setattr", "move_mount",
    "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
    # kernel attack surface a numpy or Keras program never uses
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "keyctl", "add_key", "request_key", "open_by_handle_at", "name_to_handle_at", "fanotify_init",
    "lookup_dcookie", "uselib", "iopl", "ioperm",
    # the machine itself
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "syslog", "acct", "quotactl", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname", "vhangup",
)
#: clone() flags that would create a namespace: refused, while threads and forks are not.
NAMESPACE_FLAGS = {
    "CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}


class SeccompUnavailable(RuntimeError):
    """libseccomp or its Python bindings are missing."""


def _library():
    try:
        import pyseccomp
    except (ImportError, OSError, RuntimeError) as error:
        raise SeccompUnavailable(
            f"the seccomp filter cannot be built ({error}): install libseccomp2 (Debian: apt-get install "
            "libseccomp2) and the Python package pyseccomp, or pass --unsafe-no-sandbox") from None
    return pyseccomp


def build_filter():
    """The filter as a pyseccomp ``SyscallFilter``: everything allowed but :data:`BLOCKED` and new namespaces."""
    seccomp = _library()
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in BLOCKED:
        try:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (RuntimeError, ValueError, OSError):
            continue  # a syscall this kernel or architecture does not have
    for flag in NAMESPACE_FLAGS.values():
        rules.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory, out of a filter's sight: ENOSYS makes libc fall back to clone().
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    return rules


def filter_file():
    """An open, rewound temporary file holding the compiled BPF program, for ``bwrap --seccomp FD``."""
    handle = tempfile.TemporaryFile()
    build_filter().export_bpf(handle)
    handle.flush()
    handle.seek(0)
    return handle
