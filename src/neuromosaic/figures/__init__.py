"""Figure builders (matplotlib, plotly): they draw what computation modules return."""
