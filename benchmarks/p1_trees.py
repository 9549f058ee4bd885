"""P1 for two or more source trees side by side in one run: before/after figures of a change.

    git worktree add /tmp/before <commit>    # (copy interp_kernel/_core*.so into it)
    python benchmarks/p1_trees.py /tmp/before .

Each tree gets an ``interp`` kernel started in that tree (the kernelspec runs
``python -m interp_kernel``, which imports the package of its working directory
first; the script checks that it did); one stock
``python3`` kernel is shared. Every round runs, for each tree in a random order, the
cells of ``p1_cells.py`` in its order (plain, ``%%interp w``, stock; reversed every
other round), so the trees share the machine's noise and neither always goes first:
on these 2-core VMs P1's overhead moves by ±0.1 ms from one run to the next, more
than most changes, and a kernel that goes right after another one is measured
slower. Prints each tree's median overhead (``%%interp`` cell minus plain cell).
"""

import argparse
import os
import random
import statistics

from bench_kernels import start_bench_kernel


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", help="source trees (folders holding interp_kernel/)")
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    kernels = [start_bench_kernel("interp", cwd=os.path.abspath(tree)) for tree in args.trees]
    stock = start_bench_kernel("python3")
    try:
        for tree, kernel in zip(args.trees, kernels):
            loaded = kernel.execute("import interp_kernel; print(interp_kernel.__file__)", check=True).stream()
            if not os.path.samefile(os.path.dirname(os.path.dirname(loaded.strip())), tree):
                raise SystemExit(f"the kernel for {tree} imported {loaded.strip()}")
            for _ in range(5):  # create `w`, first-call costs
                kernel.execute("%%interp w\npass", check=True)
                kernel.execute("pass", check=True)
        samples = {(i, key): [] for i in range(len(kernels)) for key in ("plain", "interp")}
        order_of_trees = random.Random(1)
        for round_ in range(args.rounds):
            trees = list(range(len(kernels)))
            order_of_trees.shuffle(trees)
            for i in trees:
                cells = [("plain", kernels[i], "pass"), ("interp", kernels[i], "%%interp w\npass"),
                         ("stock", stock, "pass")]
                for key, kernel, code in cells if round_ % 2 == 0 else cells[::-1]:
                    elapsed = kernel.execute(code).elapsed
                    if key != "stock":
                        samples[(i, key)].append(elapsed)
        for i, tree in enumerate(args.trees):
            plain = statistics.median(samples[(i, "plain")])
            interp = statistics.median(samples[(i, "interp")])
            print(f"{tree}: overhead {(interp - plain) * 1e3:.3f} ms "
                  f"(%%interp w {interp * 1e3:.3f} ms, plain {plain * 1e3:.3f} ms, {args.rounds} rounds)")
    finally:
        for kernel in kernels + [stock]:
            kernel.shutdown()


if __name__ == "__main__":
    main()
