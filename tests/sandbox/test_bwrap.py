"""Who the student process is on the host: never root, whoever runs the grader."""

from pathlib import Path

from grader.sandbox import bwrap


class Job:
    inbox = Path("/tmp/job/inbox")
    scratch = Path("/tmp/job/scratch-1")


def test_a_root_grader_drops_to_an_unprivileged_host_uid_without_a_user_namespace():
    argv = bwrap.command(Job(), "program-1.json", [], {}, seccomp_fd=9, host_uid=212345)
    assert "--unshare-user" not in argv and "--uid" not in argv
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    kept = [argv[i + 1] for i, a in enumerate(argv) if a == "--cap-add"]
    assert sorted(kept) == ["CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID"]
    assert "--bounding-set=-all" in argv
    setpriv = argv.index("--seccomp") + 2
    assert argv[setpriv].endswith("setpriv") and "--reuid=212345" in argv and "--clear-groups" in argv


def test_an_ordinary_grader_gets_a_user_namespace_with_no_namespaces_inside():
    argv = bwrap.command(Job(), "program-1.json", [], {}, seccomp_fd=9, host_uid=None)
    assert {"--unshare-user", "--disable-userns"} <= set(argv) and "--cap-add" not in argv
    assert not any(a.endswith("setpriv") for a in argv)


def test_dev_is_read_only_and_tmp_and_shm_are_sized():
    argv = bwrap.command(Job(), "p.json", [], {}, seccomp_fd=9, tmp_bytes=1 << 20, shm_bytes=2 << 20)
    sized = {argv[i + 3]: int(argv[i + 1]) for i, a in enumerate(argv) if a == "--size"}
    assert sized == {"/dev/shm": 2 << 20, "/tmp": 1 << 20}
    assert argv.index("--remount-ro") > argv.index("/dev/shm")
    assert argv[argv.index("--ro-bind", argv.index(str(Job.inbox)) - 1) + 2] == bwrap.SANDBOX_INBOX
