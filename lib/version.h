/* retl — version string. */
#ifndef RETL_VERSION_H
#define RETL_VERSION_H

#define RETL_VERSION "0.1.0"

#endif
