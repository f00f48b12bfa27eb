"""torch's thread count has one owner: overlapping blocks in any order run with one thread
(also in the threads they start) and leave the caller's setting as it was after the last."""

import threading

import torch

from neuromosaic.threads import one_torch_thread


def _fresh_thread_count() -> int:
    """What a thread started now runs with (torch's process-wide value)."""
    out = []
    t = threading.Thread(target=lambda: out.append(torch.get_num_threads()))
    t.start()
    t.join()
    return out[0]


def test_overlapping_blocks_in_any_order_restore_the_callers_setting():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        a, b = one_torch_thread(), one_torch_thread()
        a.__enter__()
        assert torch.get_num_threads() == 1 and _fresh_thread_count() == 1
        b.__enter__()
        a.__exit__(None, None, None)  # the first leaves while the second still runs
        assert torch.get_num_threads() == 1 and _fresh_thread_count() == 1
        b.__exit__(None, None, None)
        assert torch.get_num_threads() == 2 and _fresh_thread_count() == 2
    finally:
        torch.set_num_threads(before)


def test_threads_that_overlap_run_with_one_thread_and_the_last_restores():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    inside = threading.Barrier(3)
    leave = [threading.Event(), threading.Event()]
    left = [threading.Event(), threading.Event()]
    seen = {}

    def work(k):
        torch.get_num_threads()  # an older thread: its own count is set before the block
        with one_torch_thread():
            seen[k] = torch.get_num_threads()
            inside.wait(timeout=30)
            leave[k].wait(timeout=30)
        left[k].set()

    workers = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    try:
        for w in workers:
            w.start()
        inside.wait(timeout=30)  # both are inside their blocks
        assert seen == {0: 1, 1: 1} and _fresh_thread_count() == 1
        leave[0].set()
        assert left[0].wait(timeout=30)
        assert _fresh_thread_count() == 1  # the other is still inside
        leave[1].set()
        assert left[1].wait(timeout=30)
        assert _fresh_thread_count() == 2
    finally:
        for e in leave:
            e.set()
        for w in workers:
            w.join(timeout=30)
        torch.set_num_threads(before)


def test_nets_built_in_many_threads_at_once_get_their_own_weights():
    """NetSpec.build seeds torch's global generator: builds in 8 threads at once (as the lab's
    pool and a poster's tiles do) must each draw their own seed's weights."""
    from concurrent.futures import ThreadPoolExecutor

    import torch

    import neuromosaic as nm

    specs = [nm.NetSpec(widths=[64] * 6, init=init, seed=seed)
             for seed in range(8) for init in ("default", "normal:1")]
    expected = [[p.clone() for p in s.build().parameters()] for s in specs]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(5):
            built = list(pool.map(lambda s: list(s.build().parameters()), specs))
            for want, got in zip(expected, built, strict=True):
                assert all(torch.equal(a, b) for a, b in zip(want, got, strict=True))
