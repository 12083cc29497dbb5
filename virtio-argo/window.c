// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-argo: memory windows, an IOMMU this guest enforces over Argo.
 *
 * Some devices are handed buffers outside their descriptor chains:
 * virtio-gpu's driver attaches pages to a resource by DMA address and
 * later asks the device to read them.  The device is another domain and
 * cannot read our memory, so with VA_F_WINDOWS agreed it asks us
 * (MEM_READ, MEM_WRITE) and we answer from our own memory, but only
 * inside what a driver of that very device mapped for it, in the mapping's
 * direction, for as long as the mapping lives.  Everything else gets
 * EFAULT.  docs/virtio-argo-protocol.md section 13 has the rules.
 *
 * Each device then gets a parent device of its own (struct va_windows),
 * whose DMA ops record every streaming mapping in an interval tree.
 * Coherent allocations (the vrings) are never windows.  One spinlock
 * guards the tree; a request copies under it, so an unmap either comes
 * first or waits for the copy: once dma_unmap_*() returned, no request
 * touches that memory.  The DMA API may be called with interrupts off,
 * hence the irqsave lock and GFP_ATOMIC.
 */
#include <linux/dma-map-ops.h>
#include <linux/highmem.h>
#include <linux/interval_tree.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <argo_compat.h>
#include "va.h"

/* Windows one device may have at once: 4 GiB of 4 KiB pages mapped. */
#define VA_WINDOWS_MAX	BIT(20)

struct va_window {
	struct interval_tree_node it;	/* [start, last] in DMA addresses */
	enum dma_data_direction dir;
};

static const struct device_type va_windows_type = {
	.name = "virtio-argo-windows",
};

static struct va_windows *to_va_windows(struct device *dev)
{
	return container_of(dev, struct va_windows, dev);
}

static bool va_window_allows(enum dma_data_direction dir, bool write)
{
	if (dir == DMA_BIDIRECTIONAL)
		return true;
	return dir == (write ? DMA_FROM_DEVICE : DMA_TO_DEVICE);
}

/* Record [addr, addr + size) mapped in @dir; false when no room. */
static bool va_window_add(struct va_windows *w, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir)
{
	struct va_window *win;
	unsigned long flags;

	if (!size || addr + size - 1 < addr)
		return false;
	win = kmalloc(sizeof(*win), GFP_ATOMIC);
	if (!win)
		return false;
	win->it.start = addr;
	win->it.last = addr + size - 1;
	win->dir = dir;
	spin_lock_irqsave(&w->lock, flags);
	if (w->count >= VA_WINDOWS_MAX) {
		spin_unlock_irqrestore(&w->lock, flags);
		kfree(win);
		dev_err_ratelimited(&w->dev, "more than %lu DMA mappings at once: mapping refused\n",
				    VA_WINDOWS_MAX);
		return false;
	}
	interval_tree_insert(&win->it, &w->tree);
	w->count++;
	spin_unlock_irqrestore(&w->lock, flags);
	return true;
}

/* Forget the mapping [addr, addr + size) of @dir. */
static void va_window_del(struct va_windows *w, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir)
{
	struct interval_tree_node *it;
	struct va_window *win = NULL;
	unsigned long flags;

	spin_lock_irqsave(&w->lock, flags);
	for (it = interval_tree_iter_first(&w->tree, addr, addr + size - 1); it;
	     it = interval_tree_iter_next(it, addr, addr + size - 1)) {
		struct va_window *c = container_of(it, struct va_window, it);

		if (it->start == addr && it->last == addr + size - 1 &&
		    c->dir == dir) {
			win = c;
			interval_tree_remove(it, &w->tree);
			w->count--;
			break;
		}
	}
	spin_unlock_irqrestore(&w->lock, flags);
	if (!win)
		dev_err_ratelimited(&w->dev, "unmap of %pad+%zu, which is not mapped\n",
				    &addr, size);
	kfree(win);
}

/*
 * Is [addr, last] covered by windows allowing the access?  Several may
 * cover it together: a resource's pages are mapped one scatterlist entry
 * each, and the device asks for whatever run of them is contiguous.
 * The iterator gives overlapping windows in order of their start.
 */
static bool va_window_covers(struct va_windows *w, u64 addr, u64 last,
			     bool write)
{
	struct interval_tree_node *it;
	u64 cur = addr;

	lockdep_assert_held(&w->lock);
	for (it = interval_tree_iter_first(&w->tree, addr, last); it;
	     it = interval_tree_iter_next(it, addr, last)) {
		struct va_window *win = container_of(it, struct va_window, it);

		if (it->start > cur)
			return false;
		if (!va_window_allows(win->dir, write) || it->last < cur)
			continue;
		if (it->last >= last)
			return true;
		cur = it->last + 1;
	}
	return false;
}

/* Copy between @buf and guest memory at @addr, page by page. */
static void va_window_copy(u64 addr, void *buf, u32 len, bool write)
{
	while (len) {
		u32 off = offset_in_page(addr);
		u32 n = min_t(u32, len, PAGE_SIZE - off);
		void *p = kmap_local_page(pfn_to_page(PHYS_PFN(addr)));

		if (write)
			memcpy(p + off, buf, n);
		else
			memcpy(buf, p + off, n);
		kunmap_local(p);
		addr += n;
		buf += n;
		len -= n;
	}
}

/* Only RAM with struct pages is ever mapped here; check it anyway. */
static bool va_window_ram(u64 addr, u32 len)
{
	u64 pfn;

	for (pfn = PHYS_PFN(addr); pfn <= PHYS_PFN(addr + len - 1); pfn++)
		if (!pfn_valid(pfn))
			return false;
	return true;
}

/**
 * va_windows_access() - serve one MEM_READ or MEM_WRITE of the device
 * @w: the device's windows
 * @addr: the DMA address the device named
 * @len: 1 to va_mem_max() bytes
 * @write: MEM_WRITE: copy @buf into the driver's memory; else read into it
 * @buf: the bytes
 *
 * Return: 0, or -EFAULT when [@addr, @addr + @len) is not wholly inside
 * live windows allowing the access (logged once per direction, the first
 * time, then rate-limited).
 */
int va_windows_access(struct va_windows *w, u64 addr, u32 len, bool write,
		      void *buf)
{
	u64 last = addr + len - 1;
	unsigned long flags;
	bool ok;

	if (!len || last < addr)
		return -EFAULT;
	spin_lock_irqsave(&w->lock, flags);
	ok = va_window_covers(w, addr, last, write) && va_window_ram(addr, len);
	if (ok)
		va_window_copy(addr, buf, len, write);
	spin_unlock_irqrestore(&w->lock, flags);
	if (ok)
		return 0;
	atomic_long_inc(&w->refused);
	dev_warn_ratelimited(&w->dev, "device asked to %s %u bytes at %#llx, outside what its driver mapped for it: refused (EFAULT)\n",
			     write ? "write" : "read", len, addr);
	return -EFAULT;
}

/* --- DMA ops of a device with windows ----------------------------------- */

static dma_addr_t va_win_map_phys(struct device *dev, phys_addr_t phys,
				  size_t size, enum dma_data_direction dir,
				  unsigned long attrs)
{
	if (!va_window_add(to_va_windows(dev), phys, size, dir))
		return DMA_MAPPING_ERROR;
	return phys;
}

static void va_win_unmap_phys(struct device *dev, dma_addr_t handle,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs)
{
	va_window_del(to_va_windows(dev), handle, size, dir);
}

ARGO_COMPAT_DMA_DEFINE_MAP_OPS(va_win_map_phys)

static void va_win_unmap_sg(struct device *dev, struct scatterlist *sgl,
			    int nents, enum dma_data_direction dir,
			    unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		va_window_del(to_va_windows(dev), sg->dma_address,
			      sg_dma_len(sg), dir);
}

static int va_win_map_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir,
			 unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		sg->dma_address = sg_phys(sg);
		sg_dma_len(sg) = sg->length;
		if (!va_window_add(to_va_windows(dev), sg->dma_address,
				   sg->length, dir)) {
			va_win_unmap_sg(dev, sgl, i, dir, attrs);
			return -ENOMEM;
		}
	}
	return nents;
}

static int va_win_supported(struct device *dev, u64 mask)
{
	return 1;
}

static const struct dma_map_ops va_win_dma_ops = {
	.alloc = va_dma_alloc,		/* coherent: never a window */
	.free = va_dma_free,
	ARGO_COMPAT_DMA_MAP_OPS(va_win_map_phys, va_win_unmap_phys)
	.map_sg = va_win_map_sg,
	.unmap_sg = va_win_unmap_sg,
	.dma_supported = va_win_supported,
};

/* --- the per-device parent ----------------------------------------------- */

static void va_windows_release(struct device *dev)
{
	struct va_windows *w = to_va_windows(dev);
	struct interval_tree_node *it;

	/* A driver that never unmapped: nothing can ask any more. */
	while ((it = interval_tree_iter_first(&w->tree, 0, ULONG_MAX))) {
		interval_tree_remove(it, &w->tree);
		kfree(container_of(it, struct va_window, it));
	}
	kfree(w);
}

/**
 * va_windows_create() - the parent of a device that has memory windows
 * @parent: the backend's platform device
 * @domid: the backend's domain, for the name
 * @dev_num: the device's number, for the name
 *
 * Its DMA ops record what the device's driver maps (see above).  The
 * virtio device holds a reference to it as its parent; it goes when the
 * last reference (va_windows_put()) does.
 *
 * Context: process context; sleeps.
 * Return: the windows, or an ERR_PTR().
 */
struct va_windows *va_windows_create(struct device *parent, u16 domid,
				     u16 dev_num)
{
	struct va_windows *w = kzalloc(sizeof(*w), GFP_KERNEL);
	int r;

	if (!w)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&w->lock);
	w->tree = RB_ROOT_CACHED;
	device_initialize(&w->dev);
	w->dev.parent = parent;
	w->dev.type = &va_windows_type;
	w->dev.release = va_windows_release;
	w->dev.dma_mask = &w->dev.coherent_dma_mask;
	w->dev.dma_parms = &w->dma_parms;
	set_dma_ops(&w->dev, &va_win_dma_ops);
	r = dma_set_mask_and_coherent(&w->dev, DMA_BIT_MASK(64));
	if (!r)
		r = dev_set_name(&w->dev, "va%u-dev%u", domid, dev_num);
	if (!r)
		r = device_add(&w->dev);
	if (r) {
		put_device(&w->dev);
		return ERR_PTR(r);
	}
	return w;
}

/**
 * va_windows_put() - let go of the windows' device
 * @w: from va_windows_create(); its device is removed from sysfs
 *
 * Context: process context.
 */
void va_windows_put(struct va_windows *w)
{
	device_del(&w->dev);
	put_device(&w->dev);
}

/**
 * va_windows_reclaim() - our DMA ops again on @dev, if it is a windows parent
 * @dev: a virtio device's parent
 *
 * Return: true if @dev is a windows parent (its ops are restored).
 */
bool va_windows_reclaim(struct device *dev)
{
	if (dev->type != &va_windows_type)
		return false;
	if (get_dma_ops(dev) != &va_win_dma_ops) {
		dev_info(dev, "DMA ops replaced (Xen grant DMA?): restoring virtio-argo's windows, nothing is granted\n");
		set_dma_ops(dev, &va_win_dma_ops);
	}
	return true;
}
