#include "transport.h"

#include <string.h>

#include "../util.h"

static const struct kb_transport *const transports[] = {
    &kb_transport_virtio_serial,
};

const struct kb_transport *kb_transport_find(const char *name)
{
    for (size_t i = 0; i < KB_ARRAY_SIZE(transports); i++)
        if (strcmp(transports[i]->name, name) == 0)
            return transports[i];
    return NULL;
}

const struct kb_transport *kb_transport_default(void)
{
    return transports[0];
}
