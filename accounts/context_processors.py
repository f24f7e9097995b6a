def current_family(request):
    """Header data: who is logged in, which structure, which others to switch to."""
    return {
        "current_family": getattr(request, "family", None),
        "current_structure": getattr(request, "structure", None),
        "user_families": getattr(request, "families", []),
    }
