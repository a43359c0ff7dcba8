//! Upgrades: placeholder replaced below.
