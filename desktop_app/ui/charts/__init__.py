"""Small reusable chart pieces: pyqtgraph set-up, arc gauges, heat maps, crosshairs, bars."""
