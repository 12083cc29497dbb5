// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite argo_va_windows: virtio-argo's memory windows
 * (virtio-argo/window.c), the IOMMU the guest enforces for a device that
 * asks for its driver's memory (protocol section 13).  Real pages are
 * mapped through a windows parent's DMA ops, exactly as a driver maps
 * them, and every access a hostile device could try is made: inside,
 * before, after, across two adjacent mappings, across a gap, against the
 * mapping's direction, wrapping past the top of the address space, after
 * the unmap, and through another device's windows.  Each must give
 * exactly 0 with the right bytes, or -EFAULT with the buffer untouched.
 */
#include <kunit/test.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include "../../virtio-argo/dma.c"
#include "../../virtio-argo/window.c"

#define NPAGES	4

struct va_win_fixture {
	struct va_windows *w;
	struct page *pages;
	u8 *mem;
};

static int va_win_init(struct kunit *test)
{
	struct va_win_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->w = va_windows_create(NULL, 0xfff0, 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f->w));
	f->pages = alloc_pages(GFP_KERNEL, get_order(NPAGES * PAGE_SIZE));
	KUNIT_ASSERT_NOT_NULL(test, f->pages);
	f->mem = page_address(f->pages);
	for (i = 0; i < NPAGES * PAGE_SIZE; i++)
		f->mem[i] = (u8)(i * 7 + i / PAGE_SIZE);
	test->priv = f;
	return 0;
}

static void va_win_exit(struct kunit *test)
{
	struct va_win_fixture *f = test->priv;

	va_windows_put(f->w);
	__free_pages(f->pages, get_order(NPAGES * PAGE_SIZE));
}

static dma_addr_t map(struct kunit *test, unsigned int page,
		      enum dma_data_direction dir)
{
	struct va_win_fixture *f = test->priv;
	dma_addr_t a = dma_map_page(&f->w->dev, f->pages + page, 0, PAGE_SIZE,
				    dir);

	KUNIT_ASSERT_FALSE(test, dma_mapping_error(&f->w->dev, a));
	KUNIT_EXPECT_EQ(test, a, page_to_phys(f->pages + page));
	return a;
}

/* A read that must be refused leaves the buffer as it was. */
static void expect_refused(struct kunit *test, struct va_windows *w, u64 addr,
			   u32 len, bool write)
{
	u8 buf[32];

	memset(buf, 0x5a, sizeof(buf));
	KUNIT_EXPECT_EQ(test, va_windows_access(w, addr, len, write, buf),
			-EFAULT);
	KUNIT_EXPECT_PTR_EQ(test, memchr_inv(buf, 0x5a, sizeof(buf)), NULL);
}

static void kunit_read_inside_and_edges(struct kunit *test)
{
	struct va_win_fixture *f = test->priv;
	dma_addr_t a = map(test, 1, DMA_TO_DEVICE);
	u8 buf[32];

	KUNIT_EXPECT_EQ(test, va_windows_access(f->w, a, 32, false, buf), 0);
	KUNIT_EXPECT_EQ(test, memcmp(buf, f->mem + PAGE_SIZE, 32), 0);
	KUNIT_EXPECT_EQ(test, va_windows_access(f->w, a + PAGE_SIZE - 32, 32,
						false, buf), 0);
	KUNIT_EXPECT_EQ(test, memcmp(buf, f->mem + 2 * PAGE_SIZE - 32, 32), 0);
	expect_refused(test, f->w, a - 1, 2, false);		/* before */
	expect_refused(test, f->w, a - 32, 32, false);		/* just before */
	expect_refused(test, f->w, a + PAGE_SIZE - 16, 32, false); /* across the end */
	expect_refused(test, f->w, a + PAGE_SIZE, 1, false);	/* just after */
	expect_refused(test, f->w, a, 0, false);		/* empty */
	dma_unmap_page(&f->w->dev, a, PAGE_SIZE, DMA_TO_DEVICE);
	expect_refused(test, f->w, a, 32, false);		/* after unmap */
	KUNIT_EXPECT_EQ(test, f->w->count, 0U);
}

static void kunit_adjacent_and_gap(struct kunit *test)
{
	struct va_win_fixture *f = test->priv;
	dma_addr_t a = map(test, 0, DMA_TO_DEVICE);
	dma_addr_t b = map(test, 1, DMA_TO_DEVICE);
	dma_addr_t d = map(test, 3, DMA_TO_DEVICE);
	u8 buf[32];

	/* two mappings side by side cover a read across their boundary */
	KUNIT_EXPECT_EQ(test, va_windows_access(f->w, b - 16, 32, false, buf), 0);
	KUNIT_EXPECT_EQ(test, memcmp(buf, f->mem + PAGE_SIZE - 16, 32), 0);
	/* page 2 is not mapped: nothing reaches across it */
	expect_refused(test, f->w, d - 16, 32, false);
	expect_refused(test, f->w, b + PAGE_SIZE - 16, 32, false);
	dma_unmap_page(&f->w->dev, b, PAGE_SIZE, DMA_TO_DEVICE);
	expect_refused(test, f->w, b - 16, 32, false);
	KUNIT_EXPECT_EQ(test, va_windows_access(f->w, a, 32, false, buf), 0);
	dma_unmap_page(&f->w->dev, a, PAGE_SIZE, DMA_TO_DEVICE);
	dma_unmap_page(&f->w->dev, d, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, f->w->count, 0U);
}

static void kunit_directions(struct kunit *test)
{
	struct va_win_fixture *f = test->priv;
	dma_addr_t to = map(test, 0, DMA_TO_DEVICE);
	dma_addr_t from = map(test, 1, DMA_FROM_DEVICE);
	dma_addr_t bi = map(test, 2, DMA_BIDIRECTIONAL);
	u8 buf[32], orig[32];

	memset(buf, 0xa5, sizeof(buf));
	memcpy(orig, f->mem, sizeof(orig));
	/* the device may not write what was mapped for it to read */
	expect_refused(test, f->w, to, 32, true);
	KUNIT_EXPECT_EQ(test, memcmp(f->mem, orig, 32), 0);
	/* nor read what was mapped for it to write */
	expect_refused(test, f->w, from, 32, false);
	KUNIT_EXPECT_EQ(test, va_windows_access(f->w, from, 32, true, buf), 0);
	KUNIT_EXPECT_PTR_EQ(test, memchr_inv(f->mem + PAGE_SIZE, 0xa5, 32), NULL);
	KUNIT_EXPECT_EQ(test, va_windows_access(f->w, bi, 32, true, buf), 0);
	KUNIT_EXPECT_EQ(test, va_windows_access(f->w, bi, 32, false, orig), 0);
	KUNIT_EXPECT_PTR_EQ(test, memchr_inv(orig, 0xa5, 32), NULL);
	/* a read across a readable and a write-only mapping is refused */
	expect_refused(test, f->w, from - 16, 32, false);
	dma_unmap_page(&f->w->dev, to, PAGE_SIZE, DMA_TO_DEVICE);
	dma_unmap_page(&f->w->dev, from, PAGE_SIZE, DMA_FROM_DEVICE);
	dma_unmap_page(&f->w->dev, bi, PAGE_SIZE, DMA_BIDIRECTIONAL);
}

static void kunit_wrap_and_other_device(struct kunit *test)
{
	struct va_win_fixture *f = test->priv;
	dma_addr_t a = map(test, 0, DMA_BIDIRECTIONAL);
	struct va_windows *other = va_windows_create(NULL, 0xfff0, 2);

	KUNIT_ASSERT_FALSE(test, IS_ERR(other));
	expect_refused(test, f->w, U64_MAX - 15, 32, false);	/* wraps */
	expect_refused(test, f->w, U64_MAX, 1, false);
	/* another device never reaches this device's mappings */
	expect_refused(test, other, a, 32, false);
	expect_refused(test, other, a, 32, true);
	va_windows_put(other);
	dma_unmap_page(&f->w->dev, a, PAGE_SIZE, DMA_BIDIRECTIONAL);
}

static void kunit_scatterlist(struct kunit *test)
{
	struct va_win_fixture *f = test->priv;
	struct scatterlist sg[2];
	u8 buf[32];
	int n;

	/* drivers set their limits on the parent (virtio_gpu does) */
	KUNIT_EXPECT_EQ(test, dma_set_max_seg_size(&f->w->dev, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, dma_get_max_seg_size(&f->w->dev), SZ_64K);
	sg_init_table(sg, 2);
	sg_set_page(&sg[0], f->pages, PAGE_SIZE, 0);
	sg_set_page(&sg[1], f->pages + 2, PAGE_SIZE, 0);
	n = dma_map_sg(&f->w->dev, sg, 2, DMA_TO_DEVICE);
	KUNIT_ASSERT_EQ(test, n, 2);
	KUNIT_EXPECT_EQ(test, f->w->count, 2U);
	KUNIT_EXPECT_EQ(test, va_windows_access(f->w, sg_dma_address(&sg[1]) + 100,
						32, false, buf), 0);
	KUNIT_EXPECT_EQ(test, memcmp(buf, f->mem + 2 * PAGE_SIZE + 100, 32), 0);
	expect_refused(test, f->w, sg_dma_address(&sg[0]) + PAGE_SIZE, 32, false);
	dma_unmap_sg(&f->w->dev, sg, 2, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, f->w->count, 0U);
	expect_refused(test, f->w, sg_dma_address(&sg[1]) + 100, 32, false);
}

static struct kunit_case argo_va_windows_cases[] = {
	KUNIT_CASE(kunit_read_inside_and_edges),
	KUNIT_CASE(kunit_adjacent_and_gap),
	KUNIT_CASE(kunit_directions),
	KUNIT_CASE(kunit_wrap_and_other_device),
	KUNIT_CASE(kunit_scatterlist),
	{}
};

static struct kunit_suite argo_va_windows_suite = {
	.name = "argo_va_windows",
	.init = va_win_init,
	.exit = va_win_exit,
	.test_cases = argo_va_windows_cases,
};

kunit_test_suite(argo_va_windows_suite);
