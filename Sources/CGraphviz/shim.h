// Graphviz libgvc + libcgraph (apt: libgraphviz-dev). Headers live under graphviz/.
// Rendering goes through the cairo plugin (libgvplugin_pango), loaded by gvContext().
#include <graphviz/gvc.h>
#include <graphviz/cgraph.h>
#include <stdlib.h>
