// PNG (libpng 1.6) and JPEG (libjpeg-turbo) decoding and encoding from memory, behind
// calls that return an error message instead of longjmp-ing or exiting: both libraries
// report errors by longjmp (libjpeg by exit() unless told otherwise), which must never
// cross Swift frames. Used only by Datasets' ImageDecoder and ImageEncoder.
#ifndef CNNINTE_IMAGE_CODECS_H
#define CNNINTE_IMAGE_CODECS_H
#include <stddef.h>
#include <stdint.h>

/// What a file's header says. `channels` is the stored count: 1 grey, 2 grey + alpha,
/// 3 colour, 4 colour + alpha (CMYK JPEGs count as 3: they decode to RGB).
typedef struct {
    int width;
    int height;
    int channels;
    int format;  // 1 PNG, 2 JPEG
} cnninte_image_info;

/// Reads the header of a PNG or JPEG in `data`. Returns 1, or 0 with a message in `error`.
int cnninte_image_read_info(const uint8_t *data, size_t size, cnninte_image_info *info, char *error, size_t error_size);

/// Decodes to 8-bit samples, `out_channels` per pixel (1 when the stored image is grey,
/// 3 otherwise: alpha dropped, palettes expanded, 16 bits reduced to their high byte,
/// CMYK/YCCK converted to RGB), into `out` of width * height * out_channels bytes.
/// Corrupt or truncated data is an error, also where the libraries would only warn.
int cnninte_image_decode(const uint8_t *data, size_t size, const cnninte_image_info *info, uint8_t *out, size_t out_size,
                         char *error, size_t error_size);

/// Encodes 8-bit pixels (1 or 3 channels) as PNG (quality 0) or JPEG (quality 1-100).
/// Returns a malloc'ed buffer (free with cnninte_image_free) and its size, or NULL.
uint8_t *cnninte_image_encode(const uint8_t *pixels, int width, int height, int channels, int jpeg_quality, size_t *size);
void cnninte_image_free(void *buffer);

#endif
