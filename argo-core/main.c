// SPDX-License-Identifier: GPL-2.0
/*
 * argo-core: module lifecycle, the Argo probe, the domain's identity and
 * the one VIRQ_ARGO interrupt shared by every ring.
 */
#define pr_fmt(fmt) "argo-core: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/interrupt.h>
#include <linux/slab.h>
#include <xen/xen.h>
#include <xen/events.h>
#include <xen/xenbus.h>
#include <xen/xen-ops.h>

#include <argo/version.h>
#include <argo_compat.h>
#include "core.h"

const struct argo_mech *argo_mech;
struct workqueue_struct *argo_wq;
struct workqueue_struct *argo_local_wq;

static int argo_domid = -1;
static int argo_virq_irq = -1;

/**
 * argo_own_domid() - this domain's id, as other domains address it
 *
 * Return: the domid (0 in dom0).  argo-core refuses to load when it cannot
 * learn it, so the value is always valid while a client can call this.
 */
int argo_own_domid(void)
{
	return READ_ONCE(argo_domid);
}
EXPORT_SYMBOL_GPL(argo_own_domid);

static int argo_read_domid(void)
{
	unsigned int id;
	char *s;
	int err;

	if (xen_initial_domain())
		return 0;
	s = xenbus_read(XBT_NIL, "domid", "", NULL);
	if (IS_ERR(s))
		return PTR_ERR(s);
	err = kstrtouint(s, 10, &id);
	kfree(s);
	if (err)
		return err;
	if (id >= ARGO_DOMID_ANY)
		return -ERANGE;
	return id;
}

/*
 * Turn the probe's answer into the one line an administrator needs.  The
 * errno is kept (ENOSYS aside, which module loaders would misreport as a
 * missing system call) so scripts can tell the cases apart.
 */
static int argo_explain_probe(int err)
{
	switch (err) {
	case 0:
		return 0;
	case -ENOSYS:
		pr_err("hypervisor built without CONFIG_ARGO: Argo is unavailable\n");
		return -ENODEV;
	case -EOPNOTSUPP:
		pr_err("Argo is disabled in the hypervisor: boot Xen with argo=1\n");
		return err;
	case -ENODEV:
	case -EPERM:
	case -EACCES:
		pr_err("Argo denied to this domain by XSM policy (error %d)\n",
		       err);
		return err;
	default:
		pr_err("Argo probe failed with unexpected error %d\n", err);
		return err;
	}
}

static irqreturn_t argo_virq_handler(int irq, void *dev_id)
{
	/*
	 * Hard IRQ: the interrupt says neither which ring received data nor
	 * whether space appeared somewhere, so only schedule the work that
	 * finds out, in process context.
	 */
	argo_rings_kick();
	argo_space_kick();
	return IRQ_HANDLED;
}

/*
 * Restore and migration give the domain a hypervisor without its rings
 * (and, after restore, a new domid): register everything again, retrying
 * for ten seconds the rings the hypervisor refused with a transient error;
 * then the clients of those still missing are told (their lost callback).
 */
#define ARGO_RESUME_RETRIES	10

static unsigned int argo_resume_tries;
/* rings given up during this resume, for its closing line */
static unsigned int argo_resume_gone;

static void argo_resume_work_fn(struct work_struct *work)
{
	bool retry = argo_resume_tries > 0;
	int domid = argo_read_domid();
	unsigned int lost;

	if (domid >= 0 && domid != argo_domid) {
		pr_info("domain id changed from %d to %d on resume\n",
			argo_domid, domid);
		WRITE_ONCE(argo_domid, domid);
	}
	if (!retry)
		argo_resume_gone = 0;
	lost = argo_rings_resume(retry, &argo_resume_gone);
	argo_space_kick();
	if (!lost) {
		/* each lost ring had its own warning already */
		if (argo_resume_gone)
			pr_info("rings registered again after resume, except %u lost\n",
				argo_resume_gone);
		else
			pr_info("rings registered again after resume\n");
		return;
	}
	if (++argo_resume_tries <= ARGO_RESUME_RETRIES) {
		queue_delayed_work(argo_wq, to_delayed_work(work), HZ);
		return;
	}
	pr_err("%u rings could not be registered again after resume: their clients are told\n",
	       lost);
	argo_rings_give_up();
}

static DECLARE_DELAYED_WORK(argo_resume_work, argo_resume_work_fn);

static void argo_resume_notify(void)
{
	argo_resume_tries = 0;
	mod_delayed_work(argo_wq, &argo_resume_work, 0);
}

ARGO_COMPAT_DEFINE_RESUME_HOOK(argo_resume_hook, argo_resume_notify);

static int __init argo_core_init(void)
{
	int err;

	argo_mech = &argo_mech_xen;
	if (!argo_mech->available()) {
		pr_err("not running on Xen: Argo is unavailable\n");
		return -ENODEV;
	}
	err = argo_explain_probe(argo_mech->probe());
	if (err)
		return err;

	argo_domid = argo_read_domid();
	if (argo_domid < 0) {
		pr_err("cannot read this domain's id from xenstore (error %d)\n",
		       argo_domid);
		return argo_domid;
	}

	/*
	 * High priority: a message's receive work should run as soon as the
	 * VIRQ queued it, ahead of the domain's ordinary tasks.  Unbound, not
	 * per-CPU: a virtio driver may spin with preemption off on the CPU
	 * that took the VIRQ, waiting for this very work (virtio_console
	 * does), which must then run on another.
	 */
	argo_wq = alloc_workqueue("argo", WQ_UNBOUND | WQ_HIGHPRI |
				  WQ_MEM_RECLAIM, 0);
	if (!argo_wq)
		return -ENOMEM;
	/*
	 * Per-CPU, for the rings whose clients never wait that way
	 * (argo_ring_params.rx_local): their receive work runs on vCPU 0,
	 * where the VIRQ arrived, instead of waking another vCPU, which
	 * under emulation costs a large part of a small message's trip.
	 */
	argo_local_wq = alloc_workqueue("argo-local", WQ_HIGHPRI |
					WQ_MEM_RECLAIM, 0);
	if (!argo_local_wq) {
		destroy_workqueue(argo_wq);
		return -ENOMEM;
	}

	err = bind_virq_to_irqhandler(XEN_VIRQ_ARGO, 0, argo_virq_handler,
				      IRQF_NOBALANCING, "argo", NULL);
	if (err < 0) {
		pr_err("cannot bind VIRQ_ARGO (error %d)\n", err);
		destroy_workqueue(argo_local_wq);
		destroy_workqueue(argo_wq);
		return err;
	}
	argo_virq_irq = err;
	/*
	 * VIRQ_ARGO is a global VIRQ: Xen delivers it to vCPU 0 only, and
	 * Linux binds it again on the vCPU it was last moved to when the
	 * domain resumes (after a save, a migration, or a failed save),
	 * which BUG()s for a global VIRQ anywhere but vCPU 0.  Linux spreads
	 * new interrupts over the vCPUs, so pin this one where it belongs.
	 */
	err = irq_set_affinity(argo_virq_irq, cpumask_of(0));
	if (err)
		pr_warn("cannot keep VIRQ_ARGO on vCPU 0 (error %d)\n", err);
	argo_compat_resume_hook_register(&argo_resume_hook);
	argo_debugfs_init();

	pr_info("Argo available: domain %d, mechanism %s\n", argo_domid,
		argo_mech->name);
	return 0;
}

static void __exit argo_core_exit(void)
{
	/* Clients hold module references, so every ring is gone by now. */
	argo_rings_assert_empty();
	argo_debugfs_exit();
	argo_compat_resume_hook_unregister(&argo_resume_hook);
	unbind_from_irqhandler(argo_virq_irq, NULL);
	cancel_delayed_work_sync(&argo_resume_work);
	argo_space_exit();
	destroy_workqueue(argo_local_wq);
	destroy_workqueue(argo_wq);
	pr_info("unloaded\n");
}

module_init(argo_core_init);
module_exit(argo_core_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Argo transport library for Xen guests");
MODULE_VERSION(ARGO_SUITE_VERSION);
