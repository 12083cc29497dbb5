// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-argo: the DMA ops of the virtio devices' parent device.
 *
 * On Xen every virtio driver maps its buffers through the DMA API of the
 * transport's parent device (virtio_ring uses the DMA API in any Xen
 * domain).  The default ops of a PV domain (swiotlb-xen) would hand back
 * machine addresses, and grant-based ops would share pages with another
 * domain.  We need neither: no other domain ever sees these addresses.
 * The transport itself reads and writes the buffers when it moves their
 * bytes in and out of Argo messages, so a "DMA address" here is simply the
 * buffer's guest-physical address, which vq.c turns back into a kernel
 * pointer.  Nothing is bounced, nothing is shared.
 */
#include <linux/dma-map-ops.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <argo_compat.h>
#include "va.h"

/*
 * Coherent allocations, for both kinds of parent: the vrings and anything
 * else a driver allocates this way are never a device's memory windows.
 */
void *va_dma_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		   gfp_t gfp, unsigned long attrs)
{
	void *p = alloc_pages_exact(PAGE_ALIGN(size), gfp | __GFP_ZERO);

	if (p)
		*handle = virt_to_phys(p);
	return p;
}

void va_dma_free(struct device *dev, size_t size, void *vaddr,
		 dma_addr_t handle, unsigned long attrs)
{
	free_pages_exact(vaddr, PAGE_ALIGN(size));
}

static dma_addr_t va_dma_map_phys(struct device *dev, phys_addr_t phys,
				  size_t size, enum dma_data_direction dir,
				  unsigned long attrs)
{
	return phys;
}

static void va_dma_unmap_phys(struct device *dev, dma_addr_t handle,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs)
{
}

ARGO_COMPAT_DMA_DEFINE_MAP_OPS(va_dma_map_phys)

static int va_dma_map_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir,
			 unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		sg->dma_address = sg_phys(sg);
		sg_dma_len(sg) = sg->length;
	}
	return nents;
}

static void va_dma_unmap_sg(struct device *dev, struct scatterlist *sgl,
			    int nents, enum dma_data_direction dir,
			    unsigned long attrs)
{
}

static int va_dma_supported(struct device *dev, u64 mask)
{
	return 1;
}

static const struct dma_map_ops va_dma_ops = {
	.alloc = va_dma_alloc,
	.free = va_dma_free,
	ARGO_COMPAT_DMA_MAP_OPS(va_dma_map_phys, va_dma_unmap_phys)
	.map_sg = va_dma_map_sg,
	.unmap_sg = va_dma_unmap_sg,
	.dma_supported = va_dma_supported,
};

/**
 * va_dma_setup() - make @dev's DMA API hand out guest-physical addresses
 * @dev: the parent of a backend's virtio devices
 *
 * Return: 0 or a negative errno.
 */
int va_dma_setup(struct device *dev)
{
	dev->dma_mask = &dev->coherent_dma_mask;
	set_dma_ops(dev, &va_dma_ops);
	return dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
}

/**
 * va_dma_reclaim() - put our DMA ops back on @dev if someone replaced them
 * @dev: the parent of a backend's virtio devices
 *
 * In a PV domain of a kernel built with CONFIG_XEN_VIRTIO (6.1 spares
 * dom0, later kernels do not), the virtio core's memory-access check, run
 * by virtio_features_ok() after the transport's finalize_features and just
 * before it sets FEATURES_OK, hands the parent device to Xen's grant DMA
 * ops, which assume dom0 is a backend that maps granted pages.  Nothing
 * here is ever granted: the transport copies the bytes itself.  Called as
 * FEATURES_OK is set, before the driver can map anything.  Xen replaces
 * the ops once per parent device (later checks find its data already
 * made, and log that), so no device of this parent has a mapping yet
 * when it happens.
 *
 * Context: process context (the driver's probe or restore).
 */
void va_dma_reclaim(struct device *dev)
{
	if (va_windows_reclaim(dev) || get_dma_ops(dev) == &va_dma_ops)
		return;
	dev_info(dev, "DMA ops replaced (Xen grant DMA?): restoring virtio-argo's, nothing is granted\n");
	set_dma_ops(dev, &va_dma_ops);
}
