// Cairo (apt: libcairo2-dev): image surfaces for thumbnails and charts, PDF and SVG
// surfaces for booklets and vector output.
#include <cairo/cairo.h>
#include <cairo/cairo-pdf.h>
#include <cairo/cairo-svg.h>
#include <cairo/cairo-tee.h>
