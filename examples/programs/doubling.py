y = x * 2
while y.norm() < 1000:
    y = y * 2
y
