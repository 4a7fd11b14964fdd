// The program's GNU build ID, read from its own loaded note segments: a hash of the
// linked binary that the linker wrote, so two processes can tell whether they run the same
// build without hashing tens of megabytes of executable.
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <string.h>
#include "cnninte_support.h"

struct found { unsigned char *out; int capacity; int length; };

static int visit(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct found *found = data;
    // The first object is the main program; the others are shared libraries.
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE) continue;
        const unsigned char *note = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = note + ph->p_memsz;
        while (note + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *header = (const ElfW(Nhdr) *)note;
            const unsigned char *name = note + sizeof(ElfW(Nhdr));
            const unsigned char *desc = name + ((header->n_namesz + 3) & ~3u);
            if (desc + header->n_descsz > end) break;
            if (header->n_type == NT_GNU_BUILD_ID && header->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                int n = (int)header->n_descsz < found->capacity ? (int)header->n_descsz : found->capacity;
                memcpy(found->out, desc, (size_t)n);
                found->length = n;
                return 1;
            }
            note = desc + ((header->n_descsz + 3) & ~3u);
        }
    }
    return 1;  // only the main program
}

int cnninte_build_id(unsigned char *out, int capacity) {
    struct found found = { out, capacity, 0 };
    dl_iterate_phdr(visit, &found);
    return found.length;
}
