"""miniplay: runs Ansible playbooks with the same semantics, faster, with positioned errors."""

__version__ = "0.1.0"
