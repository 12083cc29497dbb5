/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal intrusive doubly linked list.  A node that is not on a list
 * points at itself, so list_del_init() is always safe: objects (chains,
 * queued messages) can be unlinked from whichever list holds them without
 * knowing which one that is.
 */
#ifndef _VB_LIST_H
#define _VB_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *prev, *next;
};

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static inline void list_init(struct list_node *n)
{
	n->prev = n;
	n->next = n;
}

static inline bool list_empty(const struct list_node *head)
{
	return head->next == head;
}

static inline void list_add_tail(struct list_node *n, struct list_node *head)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static inline void list_del_init(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(head, type, member) \
	list_entry((head)->next, type, member)
#define list_last_entry(head, type, member) \
	list_entry((head)->prev, type, member)

/* Iterate over nodes; @tmp allows the current node to be unlinked. */
#define list_for_each_safe(pos, tmp, head)				\
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);	\
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif /* _VB_LIST_H */
