"""The Qt client of the engine: widgets, table models, dialogs, theme (see DESIGN.md, GUI)."""
