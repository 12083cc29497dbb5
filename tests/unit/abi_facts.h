/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The list of Argo ABI facts compared by abi_test: each entry is a name
 * and an expression.  abi_ours.c evaluates it against the project's header
 * and abi_xen.c against Xen's public header; the two headers use the same
 * struct tags, so they cannot share one translation unit.
 *
 * FACT(name, our expression, Xen's expression)
 */
#define ABI_FACTS(FACT)								\
	FACT(hypercall, XEN_HYPERCALL_ARGO_OP, __HYPERVISOR_argo_op)		\
	FACT(virq, XEN_VIRQ_ARGO, VIRQ_ARGO)					\
	FACT(op_register, XEN_ARGO_OP_REGISTER_RING, XEN_ARGO_OP_register_ring)	\
	FACT(op_unregister, XEN_ARGO_OP_UNREGISTER_RING, XEN_ARGO_OP_unregister_ring) \
	FACT(op_sendv, XEN_ARGO_OP_SENDV, XEN_ARGO_OP_sendv)			\
	FACT(op_notify, XEN_ARGO_OP_NOTIFY, XEN_ARGO_OP_notify)		\
	FACT(domid_any, XEN_ARGO_DOMID_ANY, XEN_ARGO_DOMID_ANY)		\
	FACT(max_ring_size, XEN_ARGO_MAX_RING_SIZE, XEN_ARGO_MAX_RING_SIZE)	\
	FACT(maxiov, XEN_ARGO_MAXIOV, XEN_ARGO_MAXIOV)				\
	FACT(slot, XEN_ARGO_MSG_SLOT_SIZE, XEN_ARGO_MSG_SLOT_SIZE)		\
	FACT(fail_exist, XEN_ARGO_REGISTER_FLAG_FAIL_EXIST, XEN_ARGO_REGISTER_FLAG_FAIL_EXIST) \
	FACT(flag_exists, XEN_ARGO_RING_EXISTS, XEN_ARGO_RING_EXISTS)		\
	FACT(flag_shared, XEN_ARGO_RING_SHARED, XEN_ARGO_RING_SHARED)		\
	FACT(flag_empty, XEN_ARGO_RING_EMPTY, XEN_ARGO_RING_EMPTY)		\
	FACT(flag_sufficient, XEN_ARGO_RING_SUFFICIENT, XEN_ARGO_RING_SUFFICIENT) \
	FACT(flag_emsgsize, XEN_ARGO_RING_EMSGSIZE, XEN_ARGO_RING_EMSGSIZE)	\
	FACT(flag_ebusy, XEN_ARGO_RING_EBUSY, XEN_ARGO_RING_EBUSY)		\
	FACT(sizeof_addr, sizeof(struct xen_argo_addr), sizeof(xen_argo_addr_t)) \
	FACT(addr_domain_id, offsetof(struct xen_argo_addr, domain_id), offsetof(xen_argo_addr_t, domain_id)) \
	FACT(addr_pad, offsetof(struct xen_argo_addr, pad), offsetof(xen_argo_addr_t, pad)) \
	FACT(sizeof_send_addr, sizeof(struct xen_argo_send_addr), sizeof(xen_argo_send_addr_t)) \
	FACT(send_addr_dst, offsetof(struct xen_argo_send_addr, dst), offsetof(xen_argo_send_addr_t, dst)) \
	FACT(sizeof_iov, sizeof(struct xen_argo_iov), sizeof(xen_argo_iov_t))	\
	FACT(iov_len, offsetof(struct xen_argo_iov, iov_len), offsetof(xen_argo_iov_t, iov_len)) \
	FACT(iov_pad, offsetof(struct xen_argo_iov, pad), offsetof(xen_argo_iov_t, pad)) \
	FACT(sizeof_ring, sizeof(struct xen_argo_ring), sizeof(xen_argo_ring_t)) \
	FACT(ring_tx_ptr, offsetof(struct xen_argo_ring, tx_ptr), offsetof(xen_argo_ring_t, tx_ptr)) \
	FACT(ring_data, offsetof(struct xen_argo_ring, ring), offsetof(xen_argo_ring_t, ring)) \
	FACT(sizeof_register, sizeof(struct xen_argo_register_ring), sizeof(xen_argo_register_ring_t)) \
	FACT(register_partner, offsetof(struct xen_argo_register_ring, partner_id), offsetof(xen_argo_register_ring_t, partner_id)) \
	FACT(register_len, offsetof(struct xen_argo_register_ring, len), offsetof(xen_argo_register_ring_t, len)) \
	FACT(sizeof_unregister, sizeof(struct xen_argo_unregister_ring), sizeof(xen_argo_unregister_ring_t)) \
	FACT(sizeof_data_ent, sizeof(struct xen_argo_ring_data_ent), sizeof(xen_argo_ring_data_ent_t)) \
	FACT(data_ent_flags, offsetof(struct xen_argo_ring_data_ent, flags), offsetof(xen_argo_ring_data_ent_t, flags)) \
	FACT(data_ent_space, offsetof(struct xen_argo_ring_data_ent, space_required), offsetof(xen_argo_ring_data_ent_t, space_required)) \
	FACT(data_ent_max, offsetof(struct xen_argo_ring_data_ent, max_message_size), offsetof(xen_argo_ring_data_ent_t, max_message_size)) \
	FACT(sizeof_data, sizeof(struct xen_argo_ring_data), sizeof(xen_argo_ring_data_t)) \
	FACT(data_data, offsetof(struct xen_argo_ring_data, data), offsetof(xen_argo_ring_data_t, data)) \
	FACT(sizeof_msg_header, sizeof(struct xen_argo_ring_message_header), sizeof(struct xen_argo_ring_message_header)) \
	FACT(msg_source, offsetof(struct xen_argo_ring_message_header, source), offsetof(struct xen_argo_ring_message_header, source)) \
	FACT(msg_type, offsetof(struct xen_argo_ring_message_header, message_type), offsetof(struct xen_argo_ring_message_header, message_type))

struct abi_fact {
	const char *name;
	unsigned long long value;
};

extern const struct abi_fact abi_ours[], abi_xen[];
extern const unsigned int abi_nfacts;
