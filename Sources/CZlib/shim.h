// zlib, for reading the IDX files gzip-compressed (apt: zlib1g-dev).
#include <zlib.h>
