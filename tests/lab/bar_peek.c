// SPDX-License-Identifier: GPL-2.0
/*
 * Lab helper: read (or write, then read) one 32-bit word of a PCI BAR through
 * its sysfs resource file, as the CPU sees it: what the device decodes, with
 * no driver in between. Prints the word read as 0x%08x.
 *
 *   bar_peek BDF BAR OFFSET [VALUE]
 *
 * The device must have no driver (vfio-pci refuses such mappings) and memory
 * decode enabled. Exit 0 with the word printed, 2 on bad input or when the
 * BAR cannot be mapped (with the reason).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: bar_peek BDF BAR OFFSET [VALUE]\n");
	return 2;
}

static int parse_u64(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long long bar, off, value = 0;
	char path[256];
	struct stat st;
	volatile uint32_t *word;
	void *map;
	long page = sysconf(_SC_PAGESIZE);
	int fd;

	if ((argc != 4 && argc != 5) || parse_u64(argv[2], &bar) || bar > 5 || parse_u64(argv[3], &off) ||
	    off % 4 || (argc == 5 && (parse_u64(argv[4], &value) || value > UINT32_MAX)))
		return usage();
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%llu", argv[1], bar);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "bar_peek: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (off + 4 > (unsigned long long)st.st_size) {
		fprintf(stderr, "bar_peek: offset 0x%llx is beyond BAR%llu (%lld bytes)\n", off, bar,
			(long long)st.st_size);
		return 2;
	}
	map = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)(off & ~(page - 1ULL)));
	if (map == MAP_FAILED) {
		fprintf(stderr, "bar_peek: mmap %s: %s\n", path, strerror(errno));
		return 2;
	}
	word = (volatile uint32_t *)((char *)map + (off & (page - 1ULL)));
	if (argc == 5)
		*word = (uint32_t)value;
	printf("0x%08x\n", *word);
	munmap(map, (size_t)page);
	close(fd);
	return 0;
}
