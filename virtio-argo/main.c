// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-argo: a VirtIO transport whose devices live in a backend program
 * in another domain, reached only through Argo messages.
 *
 * Linux's stock virtio drivers (virtio_blk, virtio_console, virtio-rng,
 * virtio_net) bind to the devices this module registers.  There is no
 * shared memory, no grant, no xenstore: the hypervisor copies every byte
 * and XSM policy decides whether this domain may talk to the backend.
 * docs/virtio-argo-protocol.md is the protocol; docs/virtio-argo.md the
 * module's guide.
 */
#define pr_fmt(fmt) "virtio-argo: " fmt

#include <linux/argo.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <argo/version.h>
#include "va.h"

#define VA_MAX_BACKENDS	8
/* Xen's DOMID_FIRST_RESERVED: the domids from here up name no domain. */
#define VA_DOMID_RESERVED	0x7FF0U

static ushort backends[VA_MAX_BACKENDS];
static int nr_backends;
module_param_array(backends, ushort, &nr_backends, 0444);
MODULE_PARM_DESC(backends,
		 "Domain ids of the backends to connect to, comma-separated (default: 0, dom0)");

/*
 * 1 MiB: the answer to a 1 MiB disk read (17 records) then fits in the
 * ring almost whole, and the backend seldom waits for room in the middle
 * of it.  Measured against 256 KiB: sequential 1 MiB reads 1.4 times as
 * fast (BENCHMARKS.md, issue 22).
 */
static uint ring_kb = 1024;
module_param(ring_kb, uint, 0444);
MODULE_PARM_DESC(ring_kb, "Size of the receive ring per backend, in KiB (default 1024)");

unsigned int va_max_vq_size = 256;
module_param_named(queue_size, va_max_vq_size, uint, 0444);
MODULE_PARM_DESC(queue_size, "Largest virtqueue size offered to drivers (default 256)");

/* 0 would fail every request at once; beyond 10 minutes, I/O looks hung. */
#define VA_TIMEOUT_MIN	100U
#define VA_TIMEOUT_MAX	600000U

unsigned int va_timeout_ms = 5000;

static int va_timeout_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int r = kstrtouint(val, 0, &ms);

	if (r)
		return r;
	if (ms < VA_TIMEOUT_MIN || ms > VA_TIMEOUT_MAX) {
		pr_err("timeout_ms must be %u..%u, not %u\n", VA_TIMEOUT_MIN,
		       VA_TIMEOUT_MAX, ms);
		return -EINVAL;
	}
	WRITE_ONCE(va_timeout_ms, ms);
	return 0;
}

static const struct kernel_param_ops va_timeout_ops = {
	.set = va_timeout_set,
	.get = param_get_uint,
};

module_param_cb(timeout_ms, &va_timeout_ops, &va_timeout_ms, 0644);
MODULE_PARM_DESC(timeout_ms,
		 "How long a backend may take to answer before it is considered gone, in ms (100..600000, default 5000)");

struct workqueue_struct *va_io_wq;
struct workqueue_struct *va_ctl_wq;
static struct va_backend *va_backends[VA_MAX_BACKENDS];

static void va_destroy_all(void)
{
	int i;

	for (i = 0; i < VA_MAX_BACKENDS; i++) {
		if (va_backends[i])
			va_backend_destroy(va_backends[i]);
		va_backends[i] = NULL;
	}
	if (va_ctl_wq)
		destroy_workqueue(va_ctl_wq);
	if (va_io_wq)
		destroy_workqueue(va_io_wq);
}

/*
 * Each backend is one real domain, named once: a second connection to
 * the same domain would register a second parent device of that name,
 * and the reserved domids (DOMID_FIRST_RESERVED, 0x7ff0, and up, among
 * them Argo's "any domain") name no backend.
 */
static bool __init va_backends_valid(void)
{
	int i, j;

	for (i = 0; i < nr_backends; i++) {
		if (backends[i] >= VA_DOMID_RESERVED) {
			pr_err("backends=: %u is a reserved domain id, not a backend's\n",
			       backends[i]);
			return false;
		}
		for (j = 0; j < i; j++) {
			if (backends[j] == backends[i]) {
				pr_err("backends=: domain %u is named twice\n",
				       backends[i]);
				return false;
			}
		}
	}
	return true;
}

static int __init va_init(void)
{
	size_t ring = clamp_t(size_t, (size_t)ring_kb * 1024,
			      2 * VA_MSG_MAX + 4096, ARGO_RING_MAX_SIZE);
	int i, made = 0, err = 0;

	if (!nr_backends)
		nr_backends = 1;	/* backends[0] is 0: dom0 */
	if (va_max_vq_size < 2 || va_max_vq_size > VA_MAX_VQ_SIZE) {
		pr_err("queue_size must be 2..%u\n", VA_MAX_VQ_SIZE);
		return -EINVAL;
	}
	if (!va_backends_valid())
		return -EINVAL;
	/*
	 * Block I/O to these devices can be needed to free memory, so the
	 * kick work keeps a rescuer thread.  The control work adds and
	 * removes devices, which flushes their drivers' ordinary work items,
	 * so it must not be a reclaim queue itself.  The kick work is high
	 * priority, like argo-core's receive work, and unbound: a driver
	 * may spin with preemption off where it queued the kick (see
	 * argo-core's).
	 */
	va_io_wq = alloc_workqueue("virtio-argo-io", WQ_UNBOUND | WQ_HIGHPRI |
				   WQ_MEM_RECLAIM, 0);
	va_ctl_wq = alloc_ordered_workqueue("virtio-argo", 0);
	if (!va_io_wq || !va_ctl_wq) {
		va_destroy_all();
		return -ENOMEM;
	}
	for (i = 0; i < nr_backends; i++) {
		struct va_backend *be = va_backend_create(backends[i], ring);

		if (IS_ERR(be)) {
			err = err ?: PTR_ERR(be);
			continue;
		}
		va_backends[i] = be;
		made++;
	}
	if (!made) {
		va_destroy_all();
		return err;
	}
	pr_info("loaded in domain %d, %d backend(s)\n", argo_own_domid(), made);
	return 0;
}

static void __exit va_exit(void)
{
	va_destroy_all();
	pr_info("unloaded\n");
}

module_init(va_init);
module_exit(va_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VirtIO transport whose device backend is reached over Argo");
MODULE_VERSION(ARGO_SUITE_VERSION);
