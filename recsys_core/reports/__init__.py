"""Self-contained HTML reports to hand to someone who will not open the app: the trends, one
user, or an evaluation run. One file each, plotly's JavaScript inside it, no network needed."""
