// See include/cnninte_image_codecs.h.
#include "cnninte_image_codecs.h"

#include <stdio.h>  // before jpeglib.h, which uses FILE without including it
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <png.h>

static void set_error(char *error, size_t size, const char *message) {
    if (error && size) snprintf(error, size, "%s", message);
}

static int is_png(const uint8_t *data, size_t size) { return size >= 8 && png_sig_cmp(data, 0, 8) == 0; }
static int is_jpeg(const uint8_t *data, size_t size) { return size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF; }

// MARK: PNG

typedef struct {
    const uint8_t *data;
    size_t size, offset;
    char *error;
    size_t error_size;
    jmp_buf jump;
} png_source;

static void png_read_memory(png_structp png, png_bytep out, size_t count) {
    png_source *source = png_get_io_ptr(png);
    if (count > source->size - source->offset) png_error(png, "truncated: the file ends inside the image");
    memcpy(out, source->data + source->offset, count);
    source->offset += count;
}

static void png_fail(png_structp png, png_const_charp message) {
    png_source *source = png_get_error_ptr(png);
    set_error(source->error, source->error_size, message);
    longjmp(source->jump, 1);
}

// libpng's warnings (bad CRCs are errors by default; these are e.g. unknown chunks) pass.
static void png_warn(png_structp png, png_const_charp message) { (void)png; (void)message; }

/// Opens `data` and reads up to the image data, with transforms to 8-bit grey or RGB set.
/// `decode`: then reads every row into `out`.
static int png_run(const uint8_t *data, size_t size, cnninte_image_info *info, uint8_t *out, size_t out_size, char *error,
                   size_t error_size) {
    png_source source = {data, size, 0, error, error_size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, png_fail, png_warn);
    if (!png) { set_error(error, error_size, "out of memory"); return 0; }
    png_infop pinfo = png_create_info_struct(png);
    uint8_t **volatile rows = NULL;  // volatile: read after longjmp
    if (!pinfo || setjmp(source.jump)) {
        free(rows);
        png_destroy_read_struct(&png, pinfo ? &pinfo : NULL, NULL);
        return 0;
    }
    // Headers declaring more than this are refused by the caller before decoding; here
    // libpng's own limit only guards reading the header.
    png_set_user_limits(png, 0x7FFFFFFF, 0x7FFFFFFF);
    png_set_read_fn(png, &source, png_read_memory);
    png_read_info(png, pinfo);
    int colour = png_get_color_type(png, pinfo);
    int grey = !(colour & PNG_COLOR_MASK_COLOR);
    int alpha = (colour & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, pinfo, PNG_INFO_tRNS);
    info->width = (int)png_get_image_width(png, pinfo);
    info->height = (int)png_get_image_height(png, pinfo);
    info->channels = (grey ? 1 : 3) + (alpha ? 1 : 0);
    info->format = 1;
    if (!out) { png_destroy_read_struct(&png, &pinfo, NULL); return 1; }

    png_set_strip_16(png);        // 16-bit samples: their high byte
    png_set_packing(png);         // 1, 2, 4-bit samples: one byte each
    png_set_palette_to_rgb(png);  // palettes expanded
    png_set_expand_gray_1_2_4_to_8(png);
    png_set_strip_alpha(png);     // alpha (and tRNS) dropped: the colours as stored
    png_set_interlace_handling(png);
    png_read_update_info(png, pinfo);
    int channels = png_get_channels(png, pinfo);
    size_t stride = (size_t)info->width * (size_t)channels;
    if (channels != (grey ? 1 : 3) || png_get_rowbytes(png, pinfo) != stride || out_size < stride * (size_t)info->height) {
        png_error(png, "unexpected sample layout after conversion");
    }
    rows = malloc(sizeof(uint8_t *) * (size_t)info->height);
    if (!rows) png_error(png, "out of memory");
    for (int y = 0; y < info->height; y++) rows[y] = out + stride * (size_t)y;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &pinfo, NULL);
    return 1;
}

// MARK: JPEG

typedef struct {
    struct jpeg_error_mgr base;
    char *error;
    size_t error_size;
    jmp_buf jump;
} jpeg_failure;

static void jpeg_fail(j_common_ptr cinfo) {
    jpeg_failure *failure = (jpeg_failure *)cinfo->err;
    char message[JMSG_LENGTH_MAX];
    cinfo->err->format_message(cinfo, message);
    set_error(failure->error, failure->error_size, message);
    longjmp(failure->jump, 1);
}

// Warnings (level -1) are corrupt data libjpeg would paper over ("premature end of data
// segment", filled with grey): refused, like errors. Trace messages (level >= 0) pass.
static void jpeg_message(j_common_ptr cinfo, int level) {
    if (level < 0) jpeg_fail(cinfo);
}

static int jpeg_run(const uint8_t *data, size_t size, cnninte_image_info *info, uint8_t *out, size_t out_size, char *error,
                    size_t error_size) {
    struct jpeg_decompress_struct cinfo;
    jpeg_failure failure;
    cinfo.err = jpeg_std_error(&failure.base);
    failure.base.error_exit = jpeg_fail;
    failure.base.emit_message = jpeg_message;
    failure.error = error;
    failure.error_size = error_size;
    uint8_t *volatile scratch = NULL;  // volatile: read after longjmp
    if (setjmp(failure.jump)) {
        free(scratch);
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    int grey = cinfo.jpeg_color_space == JCS_GRAYSCALE;
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->channels = grey ? 1 : 3;
    info->format = 2;
    if (!out) { jpeg_destroy_decompress(&cinfo); return 1; }

    cinfo.out_color_space = cmyk ? JCS_CMYK : (grey ? JCS_GRAYSCALE : JCS_RGB);
    jpeg_start_decompress(&cinfo);
    size_t width = cinfo.output_width, stored = (size_t)cinfo.output_components;
    size_t channels = grey ? 1 : 3;
    if (cinfo.output_height != (JDIMENSION)info->height || width != (size_t)info->width
        || out_size < width * channels * cinfo.output_height) {
        jpeg_destroy_decompress(&cinfo);
        set_error(error, error_size, "unexpected size after decompression");
        return 0;
    }
    scratch = malloc(width * stored);
    if (!scratch) { jpeg_destroy_decompress(&cinfo); set_error(error, error_size, "out of memory"); return 0; }
    // Adobe's files store CMYK inverted (255 = no ink); others store ink amounts.
    int inverted = cinfo.saw_Adobe_marker;
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *row = out + (size_t)cinfo.output_scanline * width * channels;
        JSAMPROW target = cmyk ? scratch : row;
        jpeg_read_scanlines(&cinfo, &target, 1);
        if (cmyk) {
            for (size_t x = 0; x < width; x++) {
                unsigned k = scratch[4 * x + 3];
                if (!inverted) k = 255 - k;
                for (int c = 0; c < 3; c++) {
                    unsigned v = scratch[4 * x + c];
                    if (!inverted) v = 255 - v;
                    row[3 * x + c] = (uint8_t)((v * k + 127) / 255);
                }
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    free(scratch);
    jpeg_destroy_decompress(&cinfo);
    return 1;
}

// MARK: Entry points

int cnninte_image_read_info(const uint8_t *data, size_t size, cnninte_image_info *info, char *error, size_t error_size) {
    memset(info, 0, sizeof *info);
    if (is_png(data, size)) return png_run(data, size, info, NULL, 0, error, error_size);
    if (is_jpeg(data, size)) return jpeg_run(data, size, info, NULL, 0, error, error_size);
    set_error(error, error_size, "not a PNG or JPEG file");
    return 0;
}

int cnninte_image_decode(const uint8_t *data, size_t size, const cnninte_image_info *expected, uint8_t *out, size_t out_size,
                         char *error, size_t error_size) {
    cnninte_image_info info;
    memset(&info, 0, sizeof info);
    int ok = is_png(data, size) ? png_run(data, size, &info, out, out_size, error, error_size)
           : is_jpeg(data, size) ? jpeg_run(data, size, &info, out, out_size, error, error_size) : 0;
    if (!ok) return 0;
    if (info.width != expected->width || info.height != expected->height) {
        set_error(error, error_size, "changed while it was read");
        return 0;
    }
    return 1;
}

// MARK: Encoding

typedef struct { uint8_t *bytes; size_t size, capacity; int failed; } png_sink;

static void png_write_memory(png_structp png, png_bytep data, size_t count) {
    png_sink *sink = png_get_io_ptr(png);
    if (sink->size + count > sink->capacity) {
        size_t capacity = (sink->capacity + count) * 2;
        uint8_t *grown = realloc(sink->bytes, capacity);
        if (!grown) { sink->failed = 1; png_error(png, "out of memory"); }
        sink->bytes = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->bytes + sink->size, data, count);
    sink->size += count;
}

static void png_flush_memory(png_structp png) { (void)png; }

static uint8_t *encode_png(const uint8_t *pixels, int width, int height, int channels, size_t *size) {
    static png_sink empty;
    volatile png_sink sink = empty;  // volatile: its buffer is freed after longjmp
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (!png) return NULL;
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        free(sink.bytes);
        return NULL;
    }
    png_set_write_fn(png, (png_sink *)&sink, png_write_memory, png_flush_memory);
    png_set_compression_level(png, 6);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * (size_t)width * (size_t)channels);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *size = sink.size;
    return sink.bytes;
}

typedef struct { struct jpeg_error_mgr base; jmp_buf jump; } jpeg_write_failure;
static void jpeg_write_fail(j_common_ptr cinfo) { longjmp(((jpeg_write_failure *)cinfo->err)->jump, 1); }

static uint8_t *encode_jpeg(const uint8_t *pixels, int width, int height, int channels, int quality, size_t *size) {
    struct jpeg_compress_struct cinfo;
    jpeg_write_failure failure;
    unsigned char *volatile bytes = NULL;  // set by libjpeg, freed after longjmp
    unsigned long length = 0;
    cinfo.err = jpeg_std_error(&failure.base);
    failure.base.error_exit = jpeg_write_fail;
    if (setjmp(failure.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(bytes);
        return NULL;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&bytes, &length);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * (size_t)width * (size_t)channels);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *size = length;
    return bytes;
}

uint8_t *cnninte_image_encode(const uint8_t *pixels, int width, int height, int channels, int jpeg_quality, size_t *size) {
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3)) return NULL;
    return jpeg_quality > 0 ? encode_jpeg(pixels, width, height, channels, jpeg_quality, size)
                            : encode_png(pixels, width, height, channels, size);
}

void cnninte_image_free(void *buffer) { free(buffer); }
