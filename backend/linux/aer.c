// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pciback.ko (xen-pcisplit): PCIe AER. The kernel's recovery calls for an assigned function are
 * forwarded to its guest through the core; a guest that cannot handle them is shut down.
 */
#define pr_fmt(fmt) "xen-pciback: " fmt

#include <linux/delay.h>
#include <linux/pci.h>

#include "pciback.h"

static_assert(PCISPLIT_ERS_NONE == (int)PCI_ERS_RESULT_NONE &&
	      PCISPLIT_ERS_CAN_RECOVER == (int)PCI_ERS_RESULT_CAN_RECOVER);
static_assert(PCISPLIT_ERS_NEED_RESET == (int)PCI_ERS_RESULT_NEED_RESET &&
	      PCISPLIT_ERS_DISCONNECT == (int)PCI_ERS_RESULT_DISCONNECT);
static_assert(PCISPLIT_ERS_RECOVERED == (int)PCI_ERS_RESULT_RECOVERED);

/*
 * Forwards one recovery call to the guest that has the function and waits for its answer. The
 * guest is shut down when it has no handler (no frontend page, or AERHANDLER not set), or when its
 * handler's answer to error_detected, mmio_enabled or slot_reset is none or disconnect (or it did
 * not answer). The answer to resume is ignored, as Linux's backend ignores it: resume returns
 * nothing, and Linux's pcifront answers it with PCI_ERS_RESULT_NONE after a good recovery.
 */
static pci_ers_result_t pcisplit_aer(struct pci_dev *pdev, u32 cmd, s32 state)
{
	struct pcisplit_dev *dev = pci_get_drvdata(pdev);
	struct pcisplit_backend *be = NULL;
	pci_ers_result_t result = PCI_ERS_RESULT_NONE;
	int post = PCISPLIT_AER_NOT_HELD, posted = 0, answered = 0, waited;
	bool kill;

	if (!dev)
		return PCI_ERS_RESULT_NONE;
	mutex_lock(&pcisplit_devs_lock);
	if (dev->owner) {
		be = dev->owner;
		pcisplit_backend_get(be);
	}
	mutex_unlock(&pcisplit_devs_lock);
	if (!be)
		return PCI_ERS_RESULT_NONE;  /* not assigned: nothing of a guest's to recover */

	/*
	 * One recovery call per guest at a time, as Linux's backend serialises them (pcistub_sem):
	 * functions under two root ports report in two threads, and the second must wait for the
	 * first's answer, not find it outstanding. Lock order: the device lock (the AER core's) ->
	 * aer_lock -> be->lock; nothing else takes aer_lock. Polled, not a plain mutex_lock: the
	 * first may wait 300 s for a guest, and a task blocked that long is reported hung.
	 */
	while (!mutex_trylock(&be->aer_lock))
		msleep(20);
	mutex_lock(&be->lock);
	if (!be->stopping)
		post = pcisplit_be_aer_post(be->core, pci_domain_nr(pdev->bus), pdev->bus->number,
					    pdev->devfn, cmd, state);
	posted = post == PCISPLIT_AER_POSTED;
	mutex_unlock(&be->lock);
	/*
	 * The guest's driver gets up to 300 s, as with the in-tree backend; polled every 20 ms,
	 * never an unbounded wait.
	 */
	for (waited = 0; posted && !answered && waited < 300 * 50; waited++) {
		msleep(20);
		mutex_lock(&be->lock);
		answered = be->stopping || pcisplit_be_aer_answered(be->core);
		mutex_unlock(&be->lock);
	}
	mutex_lock(&be->lock);
	if (!be->stopping) {
		if (posted) {
			result = (pci_ers_result_t)pcisplit_be_aer_finish(be->core, !answered);
			dev_info(&pdev->dev, "AER: op %u forwarded to domain %u, answer %u%s\n",
				 cmd, be->xdev->otherend_id, (unsigned int)result,
				 answered ? "" : " (timed out)");
		}
		kill = post == PCISPLIT_AER_NO_HANDLER ||
		       (posted && cmd != PCISPLIT_OP_AER_RESUME &&
			(result == PCI_ERS_RESULT_NONE || result == PCI_ERS_RESULT_DISCONNECT));
		if (post == PCISPLIT_AER_BUSY)
			dev_warn(&pdev->dev, "AER: op %u not forwarded: another is outstanding\n",
				 cmd);
		if (kill) {
			/*
			 * Only while the function is still this guest's: released meanwhile (its
			 * guest destroyed), it may already be another guest's, which did nothing
			 * wrong.
			 */
			if (pcisplit_be_aer_kill(be->core, pci_domain_nr(pdev->bus),
						 pdev->bus->number, pdev->devfn)) {
				dev_err(&pdev->dev,
					"AER: the guest cannot handle it (%s); shutting it down\n",
					posted ? "its handler gave up" : "no handler registered");
				result = PCI_ERS_RESULT_DISCONNECT;
			} else {
				/* released meanwhile: no guest's to recover */
				result = PCI_ERS_RESULT_NONE;
			}
		}
	}
	mutex_unlock(&be->lock);
	mutex_unlock(&be->aer_lock);
	pcisplit_backend_put(be);
	return result;
}

static pci_ers_result_t pcisplit_error_detected(struct pci_dev *pdev, pci_channel_state_t state)
{
	return pcisplit_aer(pdev, PCISPLIT_OP_AER_DETECTED, (s32)state);
}

static pci_ers_result_t pcisplit_mmio_enabled(struct pci_dev *pdev)
{
	return pcisplit_aer(pdev, PCISPLIT_OP_AER_MMIO, 0);
}

static pci_ers_result_t pcisplit_slot_reset(struct pci_dev *pdev)
{
	struct pcisplit_dev *dev = pci_get_drvdata(pdev);

	/*
	 * The link was reset: the function's BARs and command register are gone. The guest's driver
	 * restores its config through the engine, which never writes BARs to hardware, so dom0 puts
	 * the bind-time config (the addresses the guest sees) back first, MSI/MSI-X state included.
	 */
	if (dev) {
		mutex_lock(&dev->op_lock);
		if (!dev->gone) {
			pcisplit_restore(dev);
			pcisplit_reset_verify(dev, true);  /* the link reset is a reset too */
		}
		mutex_unlock(&dev->op_lock);
	}
	return pcisplit_aer(pdev, PCISPLIT_OP_AER_SLOTRESET, 0);
}

static void pcisplit_resume(struct pci_dev *pdev)
{
	pcisplit_aer(pdev, PCISPLIT_OP_AER_RESUME, 0);
}

const struct pci_error_handlers pcisplit_err_handlers = {
	.error_detected = pcisplit_error_detected,
	.mmio_enabled = pcisplit_mmio_enabled,
	.slot_reset = pcisplit_slot_reset,
	.resume = pcisplit_resume,
};
