"""How durations read in tables, status lines and tooltips."""


def format_duration(seconds):
    """``seconds`` as people read it: 850 µs, 12.3 ms, 4.20 s, 3 min 05 s, 2 h 10 min; "-" for None."""
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 120:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
