"""Speed and memory benches (`make bench`): run from the project root as `python -m bench.<name>`."""
