"""Live and published data sources: STAC search, Sentinel-1 RTC, DEM, InSAR pairs,
labels, the area of interest, and the published Zenodo cubes.

Building a cube never needs torch; these modules need the ``sources`` extra
(pystac-client, odc-stac, planetary-computer, hyp3-sdk, requests).
"""
