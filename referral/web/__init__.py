"""The 진료협력센터 (referral coordination centre) worklist: web pages of the API process for each hospital's staff."""
