"""The contenders' processes: real kernels through the shared client (tests/kernel_client.py)
and an ipyparallel cluster on loopback.

Everything here runs in the main interpreter of the benchmark driver (psutil, zmq and
jupyter_client refuse or do not belong in subinterpreters).
"""

import os
import sys
import time

sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))

from kernel_client import KernelError, KernelHandle, start_kernel  # noqa: E402

__all__ = ["BenchKernel", "Cluster", "KernelError", "start_bench_kernel"]


class BenchKernel(KernelHandle):
    """The shared kernel client as the benchmarks time it.

    Before each request it reads what is pending on iopub (late output of an earlier
    request is not read inside the next one's timing); requests stay out of the
    kernel's history and never ask for input; each request's filed messages are
    forgotten once its Execution is returned (long runs keep memory flat).
    """

    def submit(self, code, **kwargs):
        self.drain(0.01)
        kwargs.setdefault("store_history", False)
        kwargs.setdefault("allow_stdin", False)
        return super().submit(code, **kwargs)

    def collect(self, msg_id, timeout=None):
        ex = super().collect(msg_id, timeout)
        self.forget(msg_id)
        return ex

    def shutdown(self):
        """Shut the kernel down; a failure is printed, not raised (the results still get written)."""
        try:
            super().shutdown()
        except Exception as exc:
            print(f"  (shutting down the {self.name} kernel failed: {exc!r})", file=sys.stderr)


def start_bench_kernel(name, cwd=None):
    """A started BenchKernel of kernelspec ``name`` (90 s to start, 120 s per request),
    in the working directory ``cwd`` (default: this process's)."""
    return start_kernel(name, startup_timeout=90, timeout=120, handle_class=BenchKernel, cwd=cwd)


class Cluster:
    """An ipyparallel controller and engines on 127.0.0.1, started and stopped here."""

    def __init__(self):
        import ipyparallel as ipp

        self.ipp = ipp
        self.cluster = ipp.Cluster(n=1, controller_ip="127.0.0.1", engine_timeout=120, log_level=40,
                                   shutdown_atexit=True)
        self.engine_starts = []  # seconds from launching an engine until it is registered
        t0 = time.perf_counter()
        self.client = self.cluster.start_and_connect_sync()
        self.client.wait_for_engines(1, timeout=120)
        self.first_start = time.perf_counter() - t0  # controller + 1 engine
        self.engine_starts.append(self.first_start)

    def add_engine(self):
        """Start one more engine and wait until the controller has it; returns seconds."""
        n = len(self.client.ids) + 1
        t0 = time.perf_counter()
        self.cluster.start_engines_sync(1)
        self.client.wait_for_engines(n, timeout=120)
        elapsed = time.perf_counter() - t0
        self.engine_starts.append(elapsed)
        return elapsed

    def engine_pids(self):
        return self.client[:].apply_sync(os.getpid)

    def kernel_setup_code(self):
        """Code for a kernel cell that connects %%px (engine 0) and %%pxall (all engines)."""
        return (
            "import ipyparallel as __ipp\n"
            f"__rc = __ipp.Client({self.url_file()!r})  # (the url_file= keyword is ignored by ipyparallel 9)\n"
            f"__rc.wait_for_engines({len(self.client.ids)}, timeout=60)\n"
            "__v0 = __rc[0]; __v0.block = True; __v0.activate()\n"
            "__vall = __rc[:]; __vall.block = True; __vall.activate('all')\n"
        )

    def url_file(self):
        security = os.path.join(self.cluster.profile_dir, "security")
        return os.path.join(security, f"ipcontroller-{self.cluster.cluster_id}-client.json")

    def stop(self):
        try:
            self.client.close()
        except Exception:
            pass
        try:
            self.cluster.stop_cluster_sync()
        except Exception as exc:
            print(f"  (stopping the ipyparallel cluster failed: {exc!r})", file=sys.stderr)
