"""A program of ours run by a test (worker, expirer), shared by tests/integration and
tests/pipeline: its own log file, kill -9, and a stop that must be clean — exit 0 after
SIGTERM, no sanitizer report in the log."""
import os
import secrets
import signal
import subprocess

# Lines the sanitizers print; any of them in a log fails the test that ran the program.
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer", "ERROR: UndefinedBehaviorSanitizer")


class Service:
    def __init__(self, binary, log_dir, name, env):
        assert binary and os.access(binary, os.X_OK), f"no {name} binary: {binary!r}"
        self.log_path = os.path.join(log_dir, f"{name}-{secrets.token_hex(3)}.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary], env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def text(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.log.close()

    def stop(self):
        """SIGTERM: must exit 0 with no sanitizer report."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.log.close()
        text = self.text()
        assert code == 0, f"{self.log_path} exited {code}:\n{text[-3000:]}"
        assert not any(mark in text for mark in SANITIZER_MARKS), text[-3000:]
