"""The trust boundary: the only code that starts, talks to, limits and kills student code.

- ``runner.py`` runs *inside* the sandbox (standalone: stdlib + numpy).
- ``bwrap.py`` builds the bubblewrap command (namespaces, read-only system, hidden paths).
- ``memory.py`` caps memory with a cgroup, else an RSS watchdog (never RLIMIT_AS).
- ``process.py`` is the checker's handle: start, call with arrays, validate replies, kill.

Nothing outside this package executes or imports student code.
"""
