"""Template tags of the staff pages: the staff home's panels (accounts.staff_panels)."""
from django import template

from accounts.admin_scope import allowed_structure_ids
from accounts.staff_panels import home_panels

register = template.Library()


@register.inclusion_tag("admin/staff_home/_home.html", takes_context=True)
def staff_home(context):
    request = context["request"]
    panels = home_panels(request=request, structure_ids=allowed_structure_ids(request))
    todo = [item for panel in panels for item in panel.todo]
    return {"request": request, "panels": [panel for panel in panels if panel.template], "todo": todo}
