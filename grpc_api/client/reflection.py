"""What a server offers, read from its reflection service (as `grpcurl` does).

```python
from grpc_api.client import describe_service, list_services, open_channel

channel = open_channel("127.0.0.1:50051")
list_services(channel)  # ['auth.v1.AuthService', 'billing.v1.BillingService', …]
print(describe_service(channel, "billing.v1.BillingService"))
```

Needs no token and no `.proto` file: the server sends its descriptors.
"""

from __future__ import annotations

import grpc
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)


def list_services(channel: grpc.Channel) -> list[str]:
    """The full names of the services the server answers, sorted."""
    return sorted(ProtoReflectionDescriptorDatabase(channel).get_services())


def describe_service(channel: grpc.Channel, name: str) -> str:
    """A service's RPCs, one a line: `rpc Name(Request) returns (stream Response);`."""
    pool = DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    service = pool.FindServiceByName(name)
    lines = [f"service {service.full_name} {{"]
    for method in service.methods:
        stream = "stream " if method.server_streaming else ""
        lines.append(
            f"  rpc {method.name}({method.input_type.full_name}) "
            f"returns ({stream}{method.output_type.full_name});"
        )
    lines.append("}")
    return "\n".join(lines)
