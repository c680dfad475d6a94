/* The config.json `kata-runtime spec` writes: runc 1.1's default, so that
 * bundles made for one runtime run on the other. */
#ifndef KB_OCI_DEFAULT_SPEC_H
#define KB_OCI_DEFAULT_SPEC_H

/* The default config.json text, tab-indented as runc writes it. */
const char *kb_default_spec_json(void);

#endif
