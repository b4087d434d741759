"""Plot helpers reused across notebooks, one contract: ``plot_x(data, *, ax=None, **kw)``.

Each draws on ``ax`` (an Axes, or a sequence of Axes for several panels) when
given, else makes a small figure; returns its artists or a view with an
``update``; never calls ``plt.show()``, ``savefig`` or changes ``rcParams``. Computing is kept apart from drawing.
"""

from dlhelpers.viz.activations import ActivationView, activation_curve, plot_activation
from dlhelpers.viz.curves import log_floor, plot_histories, results_table
from dlhelpers.viz.decision import (
    CLASS_COLORS,
    DecisionView,
    data_extent,
    grid_points,
    neuron_probability,
    plot_decision_boundary,
    plot_neuron_boundary,
)
from dlhelpers.viz.evaluation import plot_confusion_matrix, plot_digits
from dlhelpers.viz.features import plot_feature_maps, plot_filters
from dlhelpers.viz.figure import get_axes
from dlhelpers.viz.graph import GraphView, draw_graph, graph_layout, op_symbol
from dlhelpers.viz.live import LiveFigure, figure_png
from dlhelpers.viz.network import layer_names, plot_layer_outputs, plot_network

__all__ = [
    "plot_feature_maps",
    "plot_filters",
    "ActivationView",
    "CLASS_COLORS",
    "DecisionView",
    "GraphView",
    "LiveFigure",
    "activation_curve",
    "data_extent",
    "draw_graph",
    "figure_png",
    "get_axes",
    "graph_layout",
    "grid_points",
    "layer_names",
    "log_floor",
    "neuron_probability",
    "op_symbol",
    "plot_activation",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_digits",
    "plot_histories",
    "plot_layer_outputs",
    "plot_network",
    "plot_neuron_boundary",
    "results_table",
]
