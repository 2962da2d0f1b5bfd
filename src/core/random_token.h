// Unguessable tokens for the OAuth state parameter.
#pragma once

#include <string>

namespace tthub {

// `bytes` random bytes (OpenSSL CSPRNG), base64url without padding: URL-safe as is.
std::string random_urlsafe_token(size_t bytes);

std::string base64url(const unsigned char *data, size_t size);

}  // namespace tthub
