"""MHDF-Net: Mixture-of-Experts-based Hierarchical Dynamic Multimodal Fusion Network for skin lesions."""

from mhdf.config import VARIANTS, MHDFConfig
from mhdf.model import MHDFNet
from mhdf.routing import RoutingOverrides
from mhdf.trace import MHDFOutput, RoutingTrace

__all__ = ["VARIANTS", "MHDFConfig", "MHDFNet", "MHDFOutput", "RoutingOverrides", "RoutingTrace"]
